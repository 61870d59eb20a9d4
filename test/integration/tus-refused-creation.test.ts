import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { bearer, buildUser } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { OCTETS, TUS, tusMetadata } from '../helpers/tus';
import { eventually } from '../helpers/upload-checks';

const QUOTA = 64 * 1024;

describe.each(DATABASES)('POST /api/uploads/ refused after creation (%s)', (db) => {
  let t: TestApp;
  let auth: string;
  let ownerId: string;

  beforeAll(async () => {
    t = await buildTestApp({ db, env: { USER_QUOTA_BYTES: String(QUOTA) } });
  });
  beforeEach(async () => {
    const { user } = await buildUser(t);
    auth = bearer(t, user);
    ownerId = user.id;
  });
  afterAll(() => t.close());

  const rows = () => t.deps.models.Upload.count({ where: { ownerId } });
  const partialFiles = () => {
    const dir = path.join(t.uploadDir, '.uploads');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };
  const create = (length: number) =>
    request(t.server)
      .post('/api/uploads/')
      .set(TUS)
      .set('Authorization', auth)
      .set('Upload-Length', String(length))
      .set('Upload-Metadata', tusMetadata({ filename: 'a.bin' }));

  it('keeps no row, no partial file and no reserved quota of a body longer than Upload-Length', async () => {
    const before = partialFiles();
    const res = await create(QUOTA)
      .set('Content-Type', OCTETS)
      .send(Buffer.alloc(QUOTA + 10, 7));
    expect(res.status).toBe(413);
    expect(res.headers.location).toBeUndefined();
    expect(await rows()).toBe(0);
    expect(partialFiles()).toEqual(before);
    // The whole quota is free again: a creation of all of it is accepted.
    const again = await create(QUOTA).expect(201);
    expect(again.headers.location).toMatch(/^\/api\/uploads\//);
    expect(await rows()).toBe(1);
  });

  it('keeps nothing of a creation-with-upload whose checksum does not match', async () => {
    const before = partialFiles();
    const res = await create(10)
      .set('Content-Type', OCTETS)
      .set('Upload-Checksum', `sha1 ${Buffer.alloc(20).toString('base64')}`)
      .send(Buffer.from('0123456789'));
    expect(res.status).toBe(460);
    expect(res.headers.location).toBeUndefined();
    expect(await rows()).toBe(0);
    expect(partialFiles()).toEqual(before);
  });

  it('keeps an accepted creation-with-upload that sent only part of the bytes (it can resume)', async () => {
    const res = await create(10).set('Content-Type', OCTETS).send(Buffer.from('01234')).expect(201);
    expect(res.headers['upload-offset']).toBe('5');
    const id = (res.headers.location as string).split('/').pop() as string;
    expect(await rows()).toBe(1);
    expect(fs.statSync(path.join(t.uploadDir, '.uploads', `${id}.part`)).size).toBe(5);
  });

  it('keeps nothing of a creation-with-upload whose client went away mid-body', async () => {
    const before = partialFiles();
    const server = http.createServer(t.server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const req = http.request({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        method: 'POST',
        path: '/api/uploads/',
        headers: {
          ...TUS,
          Authorization: auth,
          'Upload-Length': String(QUOTA),
          'Content-Type': OCTETS,
          'Content-Length': String(QUOTA),
        },
      });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(1000, 1));
      // The row exists while the body streams in; then the client leaves without a word.
      await eventually(async () => (await rows()) === 1);
      req.destroy();
      await eventually(async () => (await rows()) === 0);
      await eventually(() => partialFiles().length === before.length);
      expect(partialFiles()).toEqual(before);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps nothing of a creation refused for its quota', async () => {
    const before = partialFiles();
    await create(QUOTA + 1).expect(413);
    expect(await rows()).toBe(0);
    expect(partialFiles()).toEqual(before);
  });
});
