import request from 'supertest';
import type { User } from '../../src/features/accounts/users-repository';
import { bearer, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { binaryParser } from '../helpers/binary';
import { DATABASES } from '../helpers/databases';
import { storeFile } from '../helpers/stored-files';

const SCRIPT = Buffer.from('document.title = "ran as this origin";\n');

describe.each(DATABASES)('download types and resource policy (%s)', (db) => {
  let t: TestApp;
  let owner: User;
  let agent: Awaited<ReturnType<typeof signedInAgent>>['agent'];

  beforeAll(async () => {
    t = await buildTestApp({ db });
    ({ user: owner, agent } = await signedInAgent(t));
  });
  afterAll(() => t.close());

  const store = (type: string, visibility: 'private' | 'public' = 'public', name = 'x.bin') =>
    storeFile(t, owner, SCRIPT, { name, type, visibility });

  describe('GET /files/:id/download', () => {
    it.each([
      ['text/javascript', 'app.js'],
      ['application/javascript', 'app.mjs'],
      ['text/css', 'site.css'],
      ['text/html', 'page.html'],
      ['application/xhtml+xml', 'page.xhtml'],
      ['image/svg+xml', 'logo.svg'],
      ['application/xml', 'feed.xml'],
      ['application/wasm', 'mod.wasm'],
      ['application/json', 'data.json'],
    ])('serves a public %s file as application/octet-stream', async (type, name) => {
      const file = await store(type, 'public', name);
      const res = await request(t.server)
        .get(`/files/${file.id}/download`)
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-disposition']).toMatch(/^attachment/);
      expect(Buffer.compare(res.body as Buffer, SCRIPT)).toBe(0);
    });

    it('keeps the real type in the metadata and the API JSON', async () => {
      const file = await store('text/javascript', 'public', 'app.js');
      const api = await request(t.server)
        .get(`/api/files/${file.id}`)
        .set('Authorization', bearer(t, owner))
        .expect(200);
      expect(JSON.stringify(api.body)).toContain('"text/javascript"');
      expect((await t.deps.files.findOwned(file.id, owner)).type).toBe('text/javascript');
    });

    it('serves every part of a multi-range response of a script as application/octet-stream', async () => {
      // Large enough that two ranges' part headers stay smaller than the file.
      const file = await storeFile(t, owner, Buffer.concat(Array(100).fill(SCRIPT)), {
        name: 'big.js',
        type: 'text/javascript',
        visibility: 'public',
      });
      const res = await request(t.server)
        .get(`/files/${file.id}/download`)
        .set('Range', 'bytes=0-1,1000-1001')
        .buffer(true)
        .parse(binaryParser)
        .expect(206);
      expect(res.headers['content-type']).toMatch(/^multipart\/byteranges/);
      const text = (res.body as Buffer).toString('latin1');
      expect(text).toContain('Content-Type: application/octet-stream');
      expect(text).not.toContain('javascript');
    });

    it.each([
      ['image/png', 'image/png'],
      ['application/pdf', 'application/pdf'],
      ['application/zip', 'application/zip'],
      ['text/plain', 'text/plain; charset=utf-8'],
    ])('keeps the passive type %s', async (type, served) => {
      const file = await store(type);
      const res = await request(t.server)
        .get(`/files/${file.id}/download`)
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      expect(res.headers['content-type']).toBe(served);
    });
  });

  describe('Cross-Origin-Resource-Policy', () => {
    it('is same-origin on a private file (download and view, session and API)', async () => {
      const file = await store('image/png', 'private');
      for (const path of [`/files/${file.id}/download`, `/files/${file.id}/view`]) {
        const res = await agent.get(path).buffer(true).parse(binaryParser).expect(200);
        expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      }
      const api = await request(t.server)
        .get(`/api/files/${file.id}/download`)
        .set('Authorization', bearer(t, owner))
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      expect(api.headers['cross-origin-resource-policy']).toBe('same-origin');
    });

    it('is cross-origin on a public file', async () => {
      const file = await store('image/png', 'public');
      for (const path of [`/files/${file.id}/download`, `/files/${file.id}/view`]) {
        const res = await request(t.server).get(path).buffer(true).parse(binaryParser).expect(200);
        expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
      }
    });

    it("is cross-origin on a private file's share link, which still serves a script as octet-stream", async () => {
      const file = await store('text/javascript', 'private', 'app.js');
      const { token } = await t.deps.shares.create(owner, file.id, {});
      for (const path of [`/s/${token}/download`, `/s/${token}/view`]) {
        const res = await request(t.server).get(path).buffer(true).parse(binaryParser).expect(200);
        expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
        expect(res.headers['content-type']).toBe('application/octet-stream');
      }
    });

    it('is same-origin on a 304 of a private file too', async () => {
      const file = await store('image/png', 'private');
      const first = await agent
        .get(`/files/${file.id}/download`)
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      const again = await agent
        .get(`/files/${file.id}/download`)
        .set('If-None-Match', first.headers.etag)
        .expect(304);
      expect(again.headers['cross-origin-resource-policy']).toBe('same-origin');
    });
  });
});
