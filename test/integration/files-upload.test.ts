import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { bearer, buildUser, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { eventually, fileRowCount, walkFiles } from '../helpers/upload-checks';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe.each(DATABASES)('form uploads (%s)', (db) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({
      db,
      env: { MAX_UPLOAD_BYTES: '64KiB', MAX_FORM_FILES: '3', USER_QUOTA_BYTES: '160KiB' },
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.models.File.destroy({ where: {} });
    fs.rmSync(t.uploadDir, { recursive: true, force: true });
    fs.mkdirSync(t.uploadDir, { recursive: true });
  });

  /** Stored contents only (no temp files), as paths relative to the upload dir. */
  const contentOnDisk = () => walkFiles(t.uploadDir);

  describe('POST /api/files', () => {
    it('stores a small file with its SHA-256, size, type and content under a random key', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.from('hello depot\n'), {
          filename: 'hello.txt',
          contentType: 'text/plain',
        })
        .expect(201);
      expect(res.body.items).toHaveLength(1);
      const item = res.body.items[0];
      expect(item).toMatchObject({
        name: 'hello.txt',
        size: 12,
        type: 'text/plain',
        sha256: sha256('hello depot\n'),
        visibility: 'private',
        owner: { id: user.id, username: user.username },
        download_url: `/api/files/${item.id}/download`,
      });
      expect(item.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const row = await t.deps.models.File.findByPk(item.id);
      expect(row?.ownerId).toBe(user.id);
      const stored = t.deps.storage.pathFor(row!.storageKey);
      expect(fs.readFileSync(stored, 'utf8')).toBe('hello depot\n');
      // The user's name never becomes part of a path.
      expect(contentOnDisk().join('\n')).not.toContain('hello');
    });

    it('stores an empty file', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.alloc(0), {
          filename: 'empty.bin',
          contentType: 'application/octet-stream',
        })
        .expect(201);
      expect(res.body.items[0]).toMatchObject({ size: 0, sha256: sha256(''), name: 'empty.bin' });
      const row = await t.deps.models.File.findByPk(res.body.items[0].id);
      expect(fs.statSync(t.deps.storage.pathFor(row!.storageKey)).size).toBe(0);
    });

    it('stores binary content byte for byte and guesses the type from the extension', async () => {
      const { user } = await buildUser(t);
      const data = randomBytes(50_000);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', data, { filename: 'photo.png', contentType: 'application/octet-stream' })
        .expect(201);
      expect(res.body.items[0]).toMatchObject({
        size: data.length,
        sha256: sha256(data),
        type: 'image/png',
      });
      const row = await t.deps.models.File.findByPk(res.body.items[0].id);
      expect(fs.readFileSync(t.deps.storage.pathFor(row!.storageKey)).equals(data)).toBe(true);
    });

    it('keeps a Unicode name (NFC) and drops bidi overrides and control characters', async () => {
      const { user } = await buildUser(t);
      const decomposed = 'Re\u0301sume\u0301 日本語 📄.txt';
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.from('x'), { filename: decomposed, contentType: 'text/plain' })
        .expect(201);
      expect(res.body.items[0].name).toBe('Résumé 日本語 📄.txt'.normalize('NFC'));
      const sneaky = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.from('x'), {
          filename: 'invoice\u202Egpj.exe',
          contentType: 'text/plain',
        })
        .expect(201);
      expect(sneaky.body.items[0].name).toBe('invoicegpj.exe');
    });

    it('stores a path-traversal name as a harmless display name', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.from('root:x:0:0'), {
          filename: '../../etc/passwd',
          contentType: 'text/plain',
        })
        .expect(201);
      expect(res.body.items[0].name).toBe('passwd');
      expect(fs.readdirSync(t.workDir)).not.toContain('etc');
      expect(
        contentOnDisk().every((name) => /^[A-Za-z0-9_-]{2}\/[A-Za-z0-9_-]{22}$/.test(name)),
      ).toBe(true);
    });

    it('stores several files of one request, each as its own file', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.from('one'), { filename: 'one.txt', contentType: 'text/plain' })
        .attach('file', Buffer.from('two'), { filename: 'two.txt', contentType: 'text/plain' })
        .attach('file', Buffer.from('three'), { filename: 'three.txt', contentType: 'text/plain' })
        .expect(201);
      expect(res.body.items.map((item: { name: string }) => item.name)).toEqual([
        'one.txt',
        'two.txt',
        'three.txt',
      ]);
      expect(await fileRowCount(t)).toBe(3);
      expect(contentOnDisk()).toHaveLength(3);
      // One upload event per stored file in the user's activity.
      await t.deps.activity.flush();
      const activity = await t.deps.activity.listForUser(user, 1, 20);
      const uploads = activity.items.filter((event) => event.type === 'upload');
      expect(uploads.map((event) => event.fileId).sort()).toEqual(
        res.body.items.map((item: { id: string }) => item.id).sort(),
      );
    });

    it('answers 413 and keeps nothing when a file is over MAX_UPLOAD_BYTES, even after a good part', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.alloc(1000, 1), { filename: 'fine.bin' })
        .attach('file', Buffer.alloc(64 * 1024 + 1, 2), { filename: 'big.bin' })
        .expect(413);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.detail).toMatch(/larger than the 64 KiB limit/);
      expect(await fileRowCount(t)).toBe(0);
      expect(contentOnDisk()).toEqual([]);
    });

    it('answers 413 and keeps nothing when the request has more than MAX_FORM_FILES files', async () => {
      const { user } = await buildUser(t);
      let req = request(t.server).post('/api/files').set('Authorization', bearer(t, user));
      for (let i = 0; i < 4; i += 1)
        req = req.attach('file', Buffer.from(`f${i}`), { filename: `f${i}.txt` });
      const res = await req.expect(413);
      expect(res.body.detail).toMatch(/at most 3 files/);
      expect(await fileRowCount(t)).toBe(0);
      expect(contentOnDisk()).toEqual([]);
    });

    it('answers 413 and keeps nothing of the request that would go over the quota', async () => {
      const { user } = await buildUser(t);
      const auth = bearer(t, user);
      await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', Buffer.alloc(60_000, 1), { filename: 'a.bin' })
        .attach('file', Buffer.alloc(60_000, 2), { filename: 'b.bin' })
        .expect(201);
      // 120,000 used of 163,840: the first part (30,000) fits, the second (30,000) does not.
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', Buffer.alloc(30_000, 3), { filename: 'c.bin' })
        .attach('file', Buffer.alloc(30_000, 4), { filename: 'd.bin' })
        .expect(413);
      expect(res.body.detail).toMatch(/quota of 160 KiB/);
      expect(await fileRowCount(t)).toBe(2);
      expect(contentOnDisk()).toHaveLength(2);
      // Another user's quota is their own.
      const other = await buildUser(t);
      await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, other.user))
        .attach('file', Buffer.alloc(60_000, 5), { filename: 'e.bin' })
        .expect(201);
    });

    it('refuses a declared body bigger than the quota before reading it', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('file', Buffer.alloc(1_300_000, 1), { filename: 'huge.bin' })
        .expect(413);
      expect(res.body.detail).toMatch(/quota/);
      expect(await fileRowCount(t)).toBe(0);
      expect(contentOnDisk()).toEqual([]);
    });

    it('answers 400 for files in the wrong field, 422 with no file, and 401 without a token', async () => {
      const { user } = await buildUser(t);
      const wrong = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .attach('upload', Buffer.from('x'), { filename: 'x.txt' })
        .expect(400);
      expect(wrong.body.detail).toMatch(/'file' field/);
      const none = await request(t.server)
        .post('/api/files')
        .set('Authorization', bearer(t, user))
        .field('note', 'no file here')
        .expect(422);
      expect(none.body.errors).toHaveProperty('file');
      await request(t.server)
        .post('/api/files')
        .attach('file', Buffer.from('x'), { filename: 'x.txt' })
        .expect(401);
      expect(await fileRowCount(t)).toBe(0);
      expect(contentOnDisk()).toEqual([]);
    });

    it('leaves no temp file and no row when the client disconnects mid-upload', async () => {
      const { user } = await buildUser(t);
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const boundary = 'depotboundary42';
        const head = Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="partial.bin"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        );
        const socket = net.connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(
          `POST /api/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer(t, user)}\r\n` +
            `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + 60_000}\r\n\r\n`,
        );
        socket.write(head);
        socket.write(Buffer.alloc(30_000, 7));
        // The part is being written: its temp file exists.
        await eventually(() => walkFiles(path.join(t.uploadDir, '.tmp')).length === 1);
        socket.destroy();
        await eventually(async () => contentOnDisk().length === 0);
        expect(await fileRowCount(t)).toBe(0);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('POST /files (page form)', () => {
    it('stores the files and redirects to /files with a flash naming them', async () => {
      const { agent, csrf } = await signedInAgent(t);
      const res = await agent
        .post('/files')
        .field('_csrf', csrf)
        .attach('files', Buffer.from('alpha'), { filename: 'alpha.txt', contentType: 'text/plain' })
        .attach('files', Buffer.from('beta'), { filename: 'beta.md', contentType: 'text/markdown' })
        .expect(303);
      expect(res.headers.location).toBe('/files');
      const page = await agent.get('/files').expect(200);
      expect(page.text).toContain('Uploaded 2 files: alpha.txt, beta.md.');
      expect(await fileRowCount(t)).toBe(2);
      expect(contentOnDisk()).toHaveLength(2);
    });

    it('refuses an upload without the CSRF token (403) and keeps nothing', async () => {
      const { agent } = await signedInAgent(t);
      await agent
        .post('/files')
        .attach('files', Buffer.from('alpha'), { filename: 'alpha.txt' })
        .expect(403);
      expect(await fileRowCount(t)).toBe(0);
      expect(contentOnDisk()).toEqual([]);
    });

    it('shows the 413 page for a file over the limit and keeps nothing', async () => {
      const { agent, csrf } = await signedInAgent(t);
      const res = await agent
        .post('/files')
        .field('_csrf', csrf)
        .attach('files', Buffer.alloc(70_000, 1), { filename: 'big.bin' })
        .expect(413);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('larger than the 64 KiB limit');
      expect(await fileRowCount(t)).toBe(0);
      expect(contentOnDisk()).toEqual([]);
    });

    it('shows the upload form again when no file was chosen', async () => {
      const { agent, csrf } = await signedInAgent(t);
      const res = await agent
        .post('/files')
        .field('_csrf', csrf)
        .field('note', 'nothing')
        .expect(422);
      expect(res.text).toContain('Choose at least one file.');
      expect(res.text).toContain('enctype="multipart/form-data"');
    });

    it('sends guests to sign in', async () => {
      const res = await request(t.server)
        .post('/files')
        .attach('files', Buffer.from('x'), { filename: 'x.txt' });
      expect([303, 403]).toContain(res.status);
      expect(await fileRowCount(t)).toBe(0);
    });
  });
});
