import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import request from 'supertest';
import { bearer, buildUser, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import {
  OCTETS,
  TUS,
  createUpload,
  writersOpenOn,
  exists,
  partialPath,
  patchUpload,
  sha256,
  tusMetadata,
} from '../helpers/tus';

const MAX = 1024 * 1024;
const QUOTA = 3 * 1024 * 1024;

describe.each(DATABASES)('tus 1.0.0 on /api/uploads/ (%s)', (db) => {
  let t: TestApp;
  let auth: string;
  let otherAuth: string;

  beforeAll(async () => {
    t = await buildTestApp({
      db,
      env: { MAX_UPLOAD_BYTES: String(MAX), USER_QUOTA_BYTES: String(QUOTA) },
    });
  });
  beforeEach(async () => {
    auth = bearer(t, (await buildUser(t)).user);
    otherAuth = bearer(t, (await buildUser(t)).user);
  });
  afterAll(() => t.close());

  /** Moves an upload's last activity back in time. */
  const age = (id: string, when: Date) =>
    t.deps.sequelize.query('UPDATE uploads SET updated_at = ? WHERE id = ?', {
      replacements: [when, id],
    });
  const row = (id: string) => t.deps.models.Upload.findByPk(id);
  const patch = (url: string, offset: number, body: Buffer, who = auth) =>
    patchUpload(t.server, url, offset, body, who);

  describe('OPTIONS', () => {
    it('describes the server: version, extensions, max size and checksum algorithms', async () => {
      const res = await request(t.server).options('/api/uploads/').expect(204);
      expect(res.headers['tus-version']).toBe('1.0.0');
      expect(res.headers['tus-resumable']).toBe('1.0.0');
      expect(res.headers['tus-extension'].split(',')).toEqual(
        expect.arrayContaining([
          'creation',
          'creation-with-upload',
          'termination',
          'checksum',
          'expiration',
        ]),
      );
      expect(res.headers['tus-max-size']).toBe(String(MAX));
      expect(res.headers['tus-checksum-algorithm'].split(',')).toContain('sha1');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('POST (creation)', () => {
    it('creates an upload owned by the caller, whatever the metadata claims', async () => {
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set('Upload-Length', '100')
        .set(
          'Upload-Metadata',
          tusMetadata({ filename: 'a.txt', ownerId: 'someone-else-entirely' }),
        )
        .expect(201);
      expect(res.headers.location).toMatch(/^\/api\/uploads\/[A-Za-z0-9_-]{22}$/);
      expect(res.headers['upload-expires']).toBeDefined();
      const id = res.headers.location.split('/').pop() as string;
      const upload = await row(id);
      const me = await request(t.server).get('/api/me').set('Authorization', auth).expect(200);
      expect(upload?.ownerId).toBe(me.body.id);
      expect(Number(upload?.size)).toBe(100);
      expect(fs.statSync(partialPath(t, id)).size).toBe(0);
    });

    it('answers 401 to guests and creates nothing', async () => {
      const before = await t.deps.models.Upload.count();
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Upload-Length', '10')
        .expect(401);
      expect(res.type).toBe('application/problem+json');
      expect(await t.deps.models.Upload.count()).toBe(before);
    });

    it('answers 413 over MAX_UPLOAD_BYTES and creates nothing', async () => {
      const before = await t.deps.models.Upload.count();
      await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set('Upload-Length', String(MAX + 1))
        .expect(413);
      expect(await t.deps.models.Upload.count()).toBe(before);
    });

    it('answers 413 when the upload, with the unfinished ones, would exceed the quota', async () => {
      await createUpload(t, auth, MAX);
      await createUpload(t, auth, MAX);
      await createUpload(t, auth, MAX - 10);
      const before = await t.deps.models.Upload.count();
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set('Upload-Length', '11')
        .expect(413);
      expect(res.body.detail).toMatch(/quota/);
      expect(await t.deps.models.Upload.count()).toBe(before);
      // Another user is not affected.
      await createUpload(t, otherAuth, 11);
    });

    it('keeps the quota reserved by unfinished uploads from a form upload, so each of them still completes', async () => {
      const uploads = [];
      for (let i = 0; i < 3; i++) uploads.push(await createUpload(t, auth, MAX));
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', randomBytes(MAX / 2), { filename: 'form.bin' })
        .expect(413);
      expect(res.body.detail).toMatch(/quota/);
      for (const { url } of uploads) await patch(url, 0, randomBytes(MAX)).expect(204);
    });

    it('reserves the quota at creation: of 10 parallel creations, exactly those that fit get 201, the rest 413 and nothing', async () => {
      const partials = () => fs.readdirSync(`${t.uploadDir}/.uploads`).length;
      await createUpload(t, auth, 0); // the partial directory exists from here on
      const before = { rows: await t.deps.models.Upload.count(), partials: partials() };
      const size = QUOTA / 6;
      const statuses = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(t.server)
            .post('/api/uploads/')
            .set(TUS)
            .set('Authorization', auth)
            .set('Upload-Length', String(size))
            .then((res) => res.status),
        ),
      );
      expect(statuses.filter((status) => status === 201)).toHaveLength(6);
      expect(statuses.filter((status) => status === 413)).toHaveLength(4);
      expect(await t.deps.models.Upload.count()).toBe(before.rows + 6);
      expect(partials()).toBe(before.partials + 6);
    });

    it('answers 412 without Tus-Resumable, or with a version it does not speak', async () => {
      await request(t.server)
        .post('/api/uploads/')
        .set('Authorization', auth)
        .set('Upload-Length', '10')
        .expect(412);
      const res = await request(t.server)
        .post('/api/uploads/')
        .set('Tus-Resumable', '0.2.2')
        .set('Authorization', auth)
        .set('Upload-Length', '10')
        .expect(412);
      expect(res.headers['tus-version']).toBe('1.0.0');
    });

    it('accepts the first bytes in the creation request (creation-with-upload)', async () => {
      const data = randomBytes(300);
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set('Upload-Length', '1000')
        .set('Content-Type', OCTETS)
        .send(data)
        .expect(201);
      expect(res.headers['upload-offset']).toBe('300');
      const id = res.headers.location.split('/').pop() as string;
      expect(fs.readFileSync(partialPath(t, id))).toEqual(data);
    });

    it('works with the session cookie and the X-CSRF-Token header, and not without the token', async () => {
      const { agent, csrf } = await signedInAgent(t);
      await agent.post('/api/uploads/').set(TUS).set('Upload-Length', '5').expect(401);
      const res = await agent
        .post('/api/uploads/')
        .set(TUS)
        .set('X-CSRF-Token', csrf)
        .set('Upload-Length', '5')
        .expect(201);
      await agent.head(res.headers.location).set(TUS).expect(200);
    });
  });

  describe('HEAD and PATCH', () => {
    it('reports the offset, length and metadata without caching', async () => {
      const { url } = await createUpload(t, auth, 50, { filename: 'x.txt' });
      const res = await request(t.server).head(url).set(TUS).set('Authorization', auth).expect(200);
      expect(res.headers['upload-offset']).toBe('0');
      expect(res.headers['upload-length']).toBe('50');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['upload-metadata']).toBe(tusMetadata({ filename: 'x.txt' }));
    });

    it('appends at the right offset and answers 409 at a wrong one, changing nothing', async () => {
      const { id, url } = await createUpload(t, auth, 100);
      const first = randomBytes(40);
      const res = await patch(url, 0, first).expect(204);
      expect(res.headers['upload-offset']).toBe('40');
      expect(res.headers['upload-expires']).toBeDefined();
      await patch(url, 10, randomBytes(20)).expect(409);
      await patch(url, 0, randomBytes(20)).expect(409);
      const head = await request(t.server)
        .head(url)
        .set(TUS)
        .set('Authorization', auth)
        .expect(200);
      expect(head.headers['upload-offset']).toBe('40');
      expect(fs.readFileSync(partialPath(t, id))).toEqual(first);
      expect(Number((await row(id))?.uploadOffset)).toBe(40);
    });

    it('answers 415 to a PATCH with another content type', async () => {
      const { id, url } = await createUpload(t, auth, 10);
      await request(t.server)
        .patch(url)
        .set(TUS)
        .set('Authorization', auth)
        .set('Content-Type', 'application/octet-stream')
        .set('Upload-Offset', '0')
        .send(Buffer.from('0123456789'))
        .expect(415);
      expect(fs.statSync(partialPath(t, id)).size).toBe(0);
    });

    it('answers 413 to bytes past the declared length', async () => {
      const { id, url } = await createUpload(t, auth, 10);
      await patch(url, 0, randomBytes(11)).expect(413);
      expect(fs.statSync(partialPath(t, id)).size).toBe(0);
    });

    it('verifies Upload-Checksum: 460 on a mismatch (chunk dropped), 204 on a match, 400 for an unknown algorithm', async () => {
      const { id, url } = await createUpload(t, auth, 20);
      const chunk = randomBytes(10);
      const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('base64');
      await patch(url, 0, chunk)
        .set('Upload-Checksum', `sha1 ${sha1(randomBytes(10))}`)
        .expect(460);
      expect(fs.statSync(partialPath(t, id)).size).toBe(0);
      expect(Number((await row(id))?.uploadOffset)).toBe(0);
      await patch(url, 0, chunk).set('Upload-Checksum', `crc32 AAAAAA==`).expect(400);
      await patch(url, 0, chunk)
        .set('Upload-Checksum', `sha1 ${sha1(chunk)}`)
        .expect(204);
      const md5 = createHash('md5').update(chunk).digest('base64');
      await patch(url, 10, chunk).set('Upload-Checksum', `md5 ${md5}`).expect(204);
      const file = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(file.body.sha256).toBe(sha256(Buffer.concat([chunk, chunk])));
    });
    it('closes the partial file after every PATCH, accepted, refused or cut short', async () => {
      const { id, url } = await createUpload(t, auth, 30);
      const file = partialPath(t, id);
      await patch(url, 0, randomBytes(10)).expect(204);
      expect(writersOpenOn(file)).toBe(0);
      await patch(url, 10, randomBytes(10))
        .set('Upload-Checksum', `sha1 ${createHash('sha1').update('other').digest('base64')}`)
        .expect(460);
      expect(writersOpenOn(file)).toBe(0);
      await patch(url, 10, randomBytes(25)).expect(413);
      expect(writersOpenOn(file)).toBe(0);
      await patch(url, 10, randomBytes(20)).expect(204);
      expect(writersOpenOn(file)).toBe(0);
      // Complete: the partial file became the file.
      expect(exists(file)).toBe(false);
      const done = await request(t.server).get(`/api/files/${id}`).set('Authorization', auth);
      expect(done.body.size).toBe(30);
    });

    it('keeps the right sha256 when a refused chunk comes between accepted ones', async () => {
      const data = randomBytes(600_000);
      const { id, url } = await createUpload(t, auth, data.length);
      const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('base64');
      await patch(url, 0, data.subarray(0, 250_000)).expect(204);
      // Other bytes than the ones announced: refused, so the file's hash must not take them in.
      await patch(url, 250_000, randomBytes(300_000))
        .set('Upload-Checksum', `sha1 ${sha1(data.subarray(250_000, 550_000))}`)
        .expect(460);
      expect(fs.statSync(partialPath(t, id)).size).toBe(250_000);
      await patch(url, 250_000, data.subarray(250_000, 550_000))
        .set('Upload-Checksum', `sha1 ${sha1(data.subarray(250_000, 550_000))}`)
        .expect(204);
      await patch(url, 550_000, data.subarray(550_000)).expect(204);
      const file = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(file.body.sha256).toBe(sha256(data));
      expect(sha256(fs.readFileSync(t.deps.storage.pathFor(id)))).toBe(sha256(data));
    });
  });

  describe("someone else's upload", () => {
    it('answers 404 to HEAD, PATCH and DELETE, exactly as for a missing upload, and changes nothing', async () => {
      const { id, url } = await createUpload(t, auth, 10);
      await patch(url, 0, Buffer.from('01234')).expect(204);
      await request(t.server).head(url).set(TUS).set('Authorization', otherAuth).expect(404);
      await patch(url, 5, Buffer.from('56789'), otherAuth).expect(404);
      await request(t.server).delete(url).set(TUS).set('Authorization', otherAuth).expect(404);
      await request(t.server)
        .head('/api/uploads/AAAAAAAAAAAAAAAAAAAAAA')
        .set(TUS)
        .set('Authorization', otherAuth)
        .expect(404);
      expect(fs.readFileSync(partialPath(t, id)).toString()).toBe('01234');
      expect(await row(id)).not.toBeNull();
    });

    it('answers 401 to guests on HEAD, PATCH and DELETE', async () => {
      const { url } = await createUpload(t, auth, 10);
      await request(t.server).head(url).set(TUS).expect(401);
      await request(t.server).delete(url).set(TUS).expect(401);
      await request(t.server)
        .patch(url)
        .set(TUS)
        .set('Content-Type', OCTETS)
        .set('Upload-Offset', '0')
        .send(Buffer.from('x'))
        .expect(401);
    });
  });

  describe('DELETE (termination)', () => {
    it('removes the upload row and its partial data', async () => {
      const { id, url } = await createUpload(t, auth, 10);
      await patch(url, 0, Buffer.from('abc')).expect(204);
      await request(t.server).delete(url).set(TUS).set('Authorization', auth).expect(204);
      expect(await row(id)).toBeNull();
      expect(exists(partialPath(t, id))).toBe(false);
      await request(t.server).head(url).set(TUS).set('Authorization', auth).expect(404);
      // The owner is still remembered (owners never change); the upload itself is gone.
      await patch(url, 3, Buffer.from('d')).expect(404);
      expect(exists(partialPath(t, id))).toBe(false);
    });
  });

  describe('completion', () => {
    it('turns the last byte into a file with the upload id, sanitized name, type and sha256', async () => {
      const data = randomBytes(64 * 1024 + 7);
      const { id, url } = await createUpload(t, auth, data.length, {
        filename: '../../etc/\u202Ereport.pdf',
        filetype: 'application/pdf',
      });
      const before = await t.deps.metrics.registry.getSingleMetricAsString(
        'depot_bytes_uploaded_total',
      );
      await patch(url, 0, data.subarray(0, 30_000)).expect(204);
      await patch(url, 30_000, data.subarray(30_000)).expect(204);
      const res = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body).toMatchObject({
        id,
        name: 'report.pdf',
        type: 'application/pdf',
        size: data.length,
        sha256: sha256(data),
      });
      expect(exists(partialPath(t, id))).toBe(false);
      const stored = await t.deps.storage.get(id);
      const chunks: Buffer[] = [];
      for await (const chunk of stored) chunks.push(chunk as Buffer);
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
      expect((await row(id))?.status).toBe('done');
      const head = await request(t.server)
        .head(url)
        .set(TUS)
        .set('Authorization', auth)
        .expect(200);
      expect(head.headers['upload-offset']).toBe(String(data.length));
      await request(t.server).delete(url).set(TUS).set('Authorization', auth).expect(400);
      const after = await t.deps.metrics.registry.getSingleMetricAsString(
        'depot_bytes_uploaded_total',
      );
      const count = (text: string) => Number(/ (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text)?.[1] ?? 0);
      expect(count(after) - count(before)).toBe(data.length);
    });

    it('completes an empty upload at creation', async () => {
      const { id } = await createUpload(t, auth, 0, { filename: 'empty.txt' });
      const res = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body.sha256).toBe(sha256(Buffer.alloc(0)));
    });

    it('computes the sha256 of every byte when a restart came between chunks', async () => {
      const data = randomBytes(50_000);
      const { id, url } = await createUpload(t, auth, data.length);
      await patch(url, 0, data.subarray(0, 20_000)).expect(204);
      t = await t.restart();
      await patch(url, 20_000, data.subarray(20_000)).expect(204);
      const res = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body.sha256).toBe(sha256(data));
    });

    it('finishes at start-up a completion interrupted after the last byte was written', async () => {
      const data = randomBytes(10_000);
      const { id, url } = await createUpload(t, auth, data.length, { filename: 'crash.bin' });
      await patch(url, 0, data.subarray(0, 9_999)).expect(204);
      // The process died after writing the last byte, before it became a file.
      fs.appendFileSync(partialPath(t, id), data.subarray(9_999));
      await t.deps.models.Upload.update({ uploadOffset: data.length }, { where: { id } });
      await request(t.server).get(`/api/files/${id}`).set('Authorization', auth).expect(404);
      t = await t.restart();
      const res = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body).toMatchObject({ name: 'crash.bin', sha256: sha256(data) });
      expect((await row(id))?.status).toBe('done');
    });

    it('finishes at start-up a completion interrupted after the content moved into storage', async () => {
      const data = randomBytes(10_000);
      const { id, url } = await createUpload(t, auth, data.length, { filename: 'moved.bin' });
      await patch(url, 0, data.subarray(0, 5_000)).expect(204);
      fs.appendFileSync(partialPath(t, id), data.subarray(5_000));
      await t.deps.storage.adopt(partialPath(t, id), id);
      await t.deps.models.Upload.update(
        { uploadOffset: data.length, status: 'completing' },
        { where: { id } },
      );
      t = await t.restart();
      const res = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body.sha256).toBe(sha256(data));
      // Once only: a second pass registers nothing twice.
      await t.deps.uploads.sweep();
      expect(await t.deps.models.File.count({ where: { id } })).toBe(1);
    });

    it('retries an interrupted completion when the client asks where it stands (HEAD)', async () => {
      const data = randomBytes(1_000);
      const { id, url } = await createUpload(t, auth, data.length);
      fs.writeFileSync(partialPath(t, id), data);
      await t.deps.models.Upload.update({ uploadOffset: data.length }, { where: { id } });
      const head = await request(t.server)
        .head(url)
        .set(TUS)
        .set('Authorization', auth)
        .expect(200);
      expect(head.headers['upload-offset']).toBe('1000');
      const res = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body.sha256).toBe(sha256(data));
    });
  });

  describe('expiry sweep', () => {
    it('removes uploads untouched for UPLOAD_EXPIRY with their partial data, and keeps fresh ones', async () => {
      const stale = await createUpload(t, auth, 10);
      const fresh = await createUpload(t, auth, 10);
      await patch(stale.url, 0, Buffer.from('abc')).expect(204);
      const old = new Date(Date.now() - t.deps.config.uploadExpiryMs - 60_000);
      await age(stale.id, old);
      // A partial file no row knows (a crash between file and row), old enough to be an orphan.
      const orphan = partialPath(t, 'BBBBBBBBBBBBBBBBBBBBBB');
      fs.writeFileSync(orphan, 'x');
      fs.utimesSync(orphan, old, old);
      const result = await t.deps.uploads.sweep();
      expect(result.expired).toBeGreaterThanOrEqual(1);
      expect(await row(stale.id)).toBeNull();
      expect(exists(partialPath(t, stale.id))).toBe(false);
      expect(exists(orphan)).toBe(false);
      expect(await row(fresh.id)).not.toBeNull();
      expect(exists(partialPath(t, fresh.id))).toBe(true);
      await request(t.server).head(stale.url).set(TUS).set('Authorization', auth).expect(404);
    });

    it('answers 410 to an upload that expired but was not swept yet', async () => {
      const { id, url } = await createUpload(t, auth, 10);
      const old = new Date(Date.now() - t.deps.config.uploadExpiryMs - 60_000);
      await age(id, old);
      await patch(url, 0, Buffer.from('abc')).expect(410);
    });
  });
});

describe('tus bodies streaming at the same time', () => {
  let t: TestApp;
  let auth: string;

  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        MAX_UPLOAD_BYTES: String(16 * 1024 * 1024),
        USER_QUOTA_BYTES: String(64 * 1024 * 1024),
      },
    });
    auth = bearer(t, (await buildUser(t)).user);
  });
  afterAll(() => t.close());

  it('keeps the bytes of each upload apart', async () => {
    // Several 1 MiB body chunks per PATCH, four uploads interleaved on one hashing thread and one set of queues.
    const uploads = await Promise.all(
      [5_000_000, 4_500_001, 4_000_002, 3_500_003].map(async (size) => {
        const data = randomBytes(size);
        return { data, ...(await createUpload(t, auth, size)) };
      }),
    );
    for (const half of [0, 1]) {
      await Promise.all(
        uploads.map(({ data, url }) => {
          const from = half ? Math.floor(data.length / 2) : 0;
          const to = half ? data.length : Math.floor(data.length / 2);
          return patchUpload(t.server, url, from, data.subarray(from, to), auth).expect(204);
        }),
      );
    }
    for (const { data, id } of uploads) {
      const stored = await t.deps.storage.get(id);
      const chunks: Buffer[] = [];
      for await (const chunk of stored) chunks.push(chunk as Buffer);
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
      const res = await request(t.server)
        .get(`/api/files/${id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body.sha256).toBe(sha256(data));
    }
  });
});
