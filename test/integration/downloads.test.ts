import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { FileRecord } from '../../src/features/files/repository';
import type { User } from '../../src/features/accounts/users-repository';
import { buildTestApp, type TestApp } from '../helpers/app';
import { bearer, buildUser, signedInAgent } from '../helpers/agents';
import { binaryParser, parseByteranges } from '../helpers/binary';
import { DATABASES } from '../helpers/databases';
import { storeFile } from '../helpers/stored-files';

const SIZE = 300_000;

describe.each(DATABASES)('downloads (%s)', (db) => {
  let t: TestApp;
  let owner: User;
  let cookieAgent: Awaited<ReturnType<typeof signedInAgent>>['agent'];
  let content: Buffer;
  let file: FileRecord;
  let token: string;

  beforeAll(async () => {
    t = await buildTestApp({ db });
    const signedIn = await signedInAgent(t);
    owner = signedIn.user;
    cookieAgent = signedIn.agent;
    content = randomBytes(SIZE);
    file = await storeFile(t, owner, content, { name: 'Grüße "report"; v1.bin' });
    token = (await t.deps.shares.create(owner, file.id, {})).token;
  });
  afterAll(() => t.close());

  const count = async () => (await t.deps.files.findOwned(file.id, owner)).downloadCount;

  // The same rules, through each of the three download routes.
  const routes: [
    string,
    (method: 'get' | 'head', headers?: Record<string, string>) => request.Test,
  ][] = [
    [
      'owner session',
      (method, headers = {}) => cookieAgent[method](`/files/${file.id}/download`).set(headers),
    ],
    [
      'API bearer',
      (method, headers = {}) => {
        const api = request(t.server);
        return api[method](`/api/files/${file.id}/download`).set({
          Authorization: bearer(t, owner),
          ...headers,
        });
      },
    ],
    [
      'share link',
      (method, headers = {}) => request(t.server)[method](`/s/${token}/download`).set(headers),
    ],
  ];

  describe.each(routes)('through the %s route', (label, call) => {
    const get = (headers?: Record<string, string>) =>
      call('get', headers).buffer(true).parse(binaryParser);

    it('sends the whole file byte-exact with validators, disposition and safety headers', async () => {
      const res = await get().expect(200);
      expect(Buffer.compare(res.body, content)).toBe(0);
      expect(res.headers).toMatchObject({
        'accept-ranges': 'bytes',
        etag: `"${file.sha256}"`,
        'last-modified': new Date(Math.floor(file.createdAt.getTime() / 1000) * 1000).toUTCString(),
        'content-length': String(SIZE),
        'content-type': 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-cache',
      });
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="Gru_e \\"report\\"; v1.bin"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22report%22%3B%20v1.bin`,
      );
      expect(res.headers['content-security-policy']).toContain('sandbox');
    });

    it('answers HEAD with the same headers and no body', async () => {
      const res = await call('head').expect(200);
      expect(res.headers['content-length']).toBe(String(SIZE));
      expect(res.headers.etag).toBe(`"${file.sha256}"`);
      expect(res.text ?? '').toBe('');
    });

    it('answers a single range with 206 and the exact bytes', async () => {
      const res = await get({ Range: 'bytes=1000-1999' }).expect(206);
      expect(res.headers['content-range']).toBe(`bytes 1000-1999/${SIZE}`);
      expect(Buffer.compare(res.body, content.subarray(1000, 2000))).toBe(0);
    });

    it('answers a suffix range and clamps an end past the file', async () => {
      const suffix = await get({ Range: 'bytes=-100' }).expect(206);
      expect(Buffer.compare(suffix.body, content.subarray(SIZE - 100))).toBe(0);
      const clamped = await get({ Range: `bytes=${SIZE - 5}-${SIZE + 500}` }).expect(206);
      expect(clamped.headers['content-range']).toBe(`bytes ${SIZE - 5}-${SIZE - 1}/${SIZE}`);
    });

    it('answers 416 with bytes */SIZE for a range past the end', async () => {
      const res = await get({ Range: `bytes=${SIZE}-` }).expect(416);
      expect(res.headers['content-range']).toBe(`bytes */${SIZE}`);
    });

    it('ignores a malformed Range (200, whole file)', async () => {
      const res = await get({ Range: 'bytes=x-y' }).expect(200);
      expect(Buffer.compare(res.body, content)).toBe(0);
    });

    it('answers several ranges with multipart/byteranges', async () => {
      const res = await get({ Range: 'bytes=0-99,5000-5099' }).expect(206);
      const parts = parseByteranges(res.body, res.headers['content-type']);
      expect(parts.map((p) => p.headers['content-range'])).toEqual([
        `bytes 0-99/${SIZE}`,
        `bytes 5000-5099/${SIZE}`,
      ]);
      expect(Buffer.compare(parts[1].body, content.subarray(5000, 5100))).toBe(0);
    });

    it('sends the whole file for more than 16 ranges', async () => {
      const ranges = Array.from({ length: 20 }, (_, i) => `${i * 100}-${i * 100 + 9}`).join(',');
      await get({ Range: `bytes=${ranges}` }).expect(200);
    });

    it('honours If-Range: the ETag gives 206, a stale date gives 200', async () => {
      await get({ Range: 'bytes=0-9', 'If-Range': `"${file.sha256}"` }).expect(206);
      const res = await get({
        Range: 'bytes=0-9',
        'If-Range': 'Thu, 01 Jan 2015 00:00:00 GMT',
      }).expect(200);
      expect(res.body.length).toBe(SIZE);
    });

    it('answers 304 to If-None-Match and If-Modified-Since', async () => {
      await get({ 'If-None-Match': `"${file.sha256}"` }).expect(304);
      await get({ 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() }).expect(304);
    });

    it('answers 412 to a failing If-Match or If-Unmodified-Since', async () => {
      await get({ 'If-Match': '"something-else"' }).expect(412);
      await get({ 'If-Unmodified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' }).expect(412);
    });

    it('counts a download that starts at byte 0, not HEAD or 304 (nor, but on share links, a resumed one)', async () => {
      // A share link counts any range a client without its grant asks for (see share-range-limit.test.ts).
      const resumedCounts = label === 'share link' ? 1 : 0;
      const before = await count();
      await get({ Range: 'bytes=100-' }).expect(206);
      await call('head').expect(200);
      await get({ 'If-None-Match': `"${file.sha256}"` }).expect(304);
      expect(await count()).toBe(before + resumedCounts);
      await get({ Range: 'bytes=0-99' }).expect(206);
      expect(await count()).toBe(before + resumedCounts + 1);
      await get().expect(200);
      expect(await count()).toBe(before + resumedCounts + 2);
    });
  });

  describe('who may download', () => {
    it('answers 404 to another user for a private file, on every route', async () => {
      const other = await signedInAgent(t);
      await other.agent.get(`/files/${file.id}/download`).expect(404);
      await other.agent.get(`/files/${file.id}/view`).expect(404);
      await request(t.server)
        .get(`/api/files/${file.id}/download`)
        .set('Authorization', bearer(t, other.user))
        .expect(404);
      await request(t.server).get(`/files/${file.id}/download`).expect(404);
    });

    it('answers 401 on the API without a token', async () => {
      const res = await request(t.server).get(`/api/files/${file.id}/download`).expect(401);
      expect(res.type).toBe('application/problem+json');
    });

    it('lets anyone download a public file, marked Cache-Control: public', async () => {
      const publicFile = await storeFile(t, owner, Buffer.from('hello world'), {
        name: 'hi.txt',
        type: 'text/plain',
        visibility: 'public',
      });
      const res = await request(t.server).get(`/files/${publicFile.id}/download`).expect(200);
      expect(res.text).toBe('hello world');
      expect(res.headers['cache-control']).toBe('public, no-cache');
      const { user: stranger } = await buildUser(t);
      await request(t.server)
        .get(`/api/files/${publicFile.id}/download`)
        .set('Authorization', bearer(t, stranger))
        .expect(200);
    });

    it('answers 404 for an unknown id', async () => {
      await cookieAgent.get('/files/AAAAAAAAAAAAAAAAAAAAAA/download').expect(404);
    });

    it('records a download activity for responses from byte 0 (and share ranges without a grant)', async () => {
      const activityFile = await storeFile(t, owner, content, { name: 'act.bin' });
      const { token: shareToken } = await t.deps.shares.create(owner, activityFile.id, {});
      await cookieAgent
        .get(`/files/${activityFile.id}/download`)
        .set('Range', 'bytes=5-')
        .expect(206);
      await t.deps.activity.flush();
      expect(await t.deps.activity.listForFile(activityFile, owner)).toEqual([]);
      await request(t.server).get(`/s/${shareToken}/download`).set('Range', 'bytes=5-').expect(206);
      await cookieAgent.get(`/files/${activityFile.id}/download`).expect(200);
      await request(t.server).get(`/s/${shareToken}/download`).expect(200);
      await t.deps.activity.flush();
      const types = (await t.deps.activity.listForFile(activityFile, owner)).map((e) => e.type);
      expect(types.sort()).toEqual(['download', 'share.download', 'share.download']);
    });

    it('counts downloaded bytes in the metrics', async () => {
      const metric = async () => (await t.deps.metrics.bytesDownloaded.get()).values[0]?.value ?? 0;
      const before = await metric();
      await cookieAgent
        .get(`/files/${file.id}/download`)
        .set('Range', 'bytes=0-999')
        .buffer(true)
        .parse(binaryParser)
        .expect(206);
      expect((await metric()) - before).toBe(1000);
    });
  });

  describe('GET /files/:id/view', () => {
    const cases: [string, string, string, string | null][] = [
      ['a PNG image', 'a.png', 'image/png', 'image/png'],
      ['a JPEG image', 'a.jpg', 'image/jpeg', 'image/jpeg'],
      ['audio', 'a.mp3', 'audio/mpeg', 'audio/mpeg'],
      ['video', 'a.mp4', 'video/mp4', 'video/mp4'],
      ['a PDF', 'a.pdf', 'application/pdf', 'application/pdf'],
      ['plain text (as UTF-8)', 'a.txt', 'text/plain', 'text/plain; charset=utf-8'],
      ['HTML', 'a.html', 'text/html', null],
      ['SVG', 'a.svg', 'image/svg+xml', null],
      ['XML', 'a.xml', 'application/xml', null],
      ['XHTML', 'a.xhtml', 'application/xhtml+xml', null],
      ['JavaScript', 'a.js', 'text/javascript', null],
      ['an unknown type', 'a.bin', 'application/octet-stream', null],
    ];

    it.each(cases)('serves %s %s', async (_label, name, type, inlineType) => {
      const body = Buffer.from('<svg onload="alert(1)"><script>alert(1)</script></svg>');
      const stored = await storeFile(t, owner, body, { name, type });
      const res = await cookieAgent
        .get(`/files/${stored.id}/view`)
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      expect(Buffer.compare(res.body, body)).toBe(0);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toMatch(/^sandbox; frame-ancestors 'self'$/);
      if (inlineType) {
        expect(res.headers['content-type']).toBe(inlineType);
        expect(res.headers['content-disposition']).toMatch(/^inline;/);
      } else {
        expect(res.headers['content-disposition']).toMatch(/^attachment;/);
        expect(res.headers['content-type']).toBe('application/octet-stream');
      }
    });

    it('never serves HTML or SVG inline, whatever the stored type says', async () => {
      for (const type of [
        'text/html',
        'text/html; charset=utf-8',
        'image/svg+xml',
        'IMAGE/SVG+XML',
        'text/xml',
      ]) {
        const stored = await storeFile(t, owner, Buffer.from('<html><script>1</script>'), {
          name: 'x',
          type,
        });
        const res = await cookieAgent.get(`/files/${stored.id}/view`).expect(200);
        expect(res.headers['content-disposition']).toMatch(/^attachment;/);
      }
    });

    it('supports Range for seeking and does not count views as downloads', async () => {
      const video = await storeFile(t, owner, content, { name: 'v.mp4', type: 'video/mp4' });
      const res = await cookieAgent
        .get(`/files/${video.id}/view`)
        .set('Range', 'bytes=10-19')
        .buffer(true)
        .parse(binaryParser)
        .expect(206);
      expect(Buffer.compare(res.body, content.subarray(10, 20))).toBe(0);
      await cookieAgent.get(`/files/${video.id}/view`).expect(200);
      expect((await t.deps.files.findOwned(video.id, owner)).downloadCount).toBe(0);
    });
  });
});
