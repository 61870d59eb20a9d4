import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { bearer, buildUser, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { sha256, storeFile } from '../helpers/stored-files';
import { createUpload, partialPath, patchUpload, TUS } from '../helpers/tus';
import { chunkedFormHeaders, filePartHead, walkFiles } from '../helpers/upload-checks';

const MiB = 1024 * 1024;
const FILLER = 'filler.bin';

// Mounting a tmpfs needs root (this machine and CI run as root).
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('full-disk.test.ts skipped: mounting a tmpfs as UPLOAD_DIR needs root');
const describeAsRoot = isRoot ? describe.each(DATABASES) : describe.skip.each(DATABASES);

describeAsRoot('a full UPLOAD_DIR (16 MiB tmpfs, %s)', (db) => {
  let t: TestApp;
  let auth: string;

  beforeAll(async () => {
    t = await buildTestApp({ db });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', t.uploadDir]);
    auth = bearer(t, (await buildUser(t)).user);
  });
  afterAll(async () => {
    // Lazy: the hashing thread may still hold a partial file open; the mount goes once it lets go.
    execFileSync('umount', ['-l', t.uploadDir]);
    await t.close();
  });
  beforeEach(async () => {
    await t.deps.models.File.destroy({ where: {} });
    await t.deps.models.Upload.destroy({ where: {} });
    for (const name of fs.readdirSync(t.uploadDir))
      fs.rmSync(path.join(t.uploadDir, name), { recursive: true, force: true });
  });

  const free = () => {
    const stats = fs.statfsSync(t.uploadDir);
    return stats.bavail * stats.bsize;
  };
  /** Takes all but `leave` bytes of the disk, as another program would. */
  const fill = (leave: number) => {
    const filler = path.join(t.uploadDir, FILLER);
    const current = fs.existsSync(filler) ? fs.statSync(filler).size : 0;
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, current + free() - leave)));
  };
  const unfill = () => fs.rmSync(path.join(t.uploadDir, FILLER), { force: true });
  /** Whatever uploads left under the upload directory (the heartbeat and the filler are not theirs). */
  const kept = () =>
    walkFiles(t.uploadDir).filter((name) => name !== FILLER && !name.endsWith('.alive'));

  describe('POST /api/files', () => {
    it('answers 507 naming the cause and keeps nothing when the body cannot fit', async () => {
      fill(MiB);
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', randomBytes(2 * MiB), { filename: 'big.bin' })
        .expect(507);
      expect(res.type).toBe('application/problem+json');
      expect(res.body).toMatchObject({ status: 507, code: 'INSUFFICIENT_STORAGE' });
      expect(res.body.detail).toMatch(/no storage space left/);
      expect(kept()).toEqual([]);
      expect(await t.deps.models.File.count()).toBe(0);
    });

    it('answers 507 and keeps nothing when the disk fills while a body of unknown length streams in', async () => {
      fill(MiB);
      const server = http.createServer(t.server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const boundary = 'depot-full-disk';
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            method: 'POST',
            path: '/api/files',
            headers: chunkedFormHeaders(auth, boundary),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write(filePartHead(boundary, 'a.bin'));
        req.write(randomBytes(3 * MiB));
        req.end(`\r\n--${boundary}--\r\n`);
      });
      await new Promise((resolve) => server.close(resolve));
      expect(status).toBe(507);
      expect(kept()).toEqual([]);
      expect(await t.deps.models.File.count()).toBe(0);
    });

    it('accepts uploads again once space is freed', async () => {
      fill(MiB);
      const body = randomBytes(2 * MiB);
      await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', body, { filename: 'big.bin' })
        .expect(507);
      unfill();
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', body, { filename: 'big.bin' })
        .expect(201);
      expect(res.body.items[0]).toMatchObject({ size: body.length, sha256: sha256(body) });
    });
  });

  describe('POST /files (the upload page)', () => {
    it('answers a 507 page that names the cause', async () => {
      const { agent, csrf } = await signedInAgent(t);
      fill(MiB);
      const res = await agent
        .post('/files')
        .set('X-CSRF-Token', csrf)
        .set('Accept', 'text/html')
        .attach('files', randomBytes(2 * MiB), { filename: 'big.bin' })
        .expect(507);
      expect(res.type).toBe('text/html');
      expect(res.text).toMatch(/no storage space left/);
      expect(kept()).toEqual([]);
    });
  });

  describe('logs', () => {
    it('record a full disk as a warning naming the cause, never as a server error', async () => {
      const from = t.logs.length;
      fill(MiB);
      await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', randomBytes(2 * MiB), { filename: 'big.bin' })
        .expect(507);
      const { url } = await createUpload(t, auth, 64 * 1024);
      fill(0);
      await patchUpload(t.server, url, 0, randomBytes(64 * 1024), auth).expect(507);
      const lines = t.logs.slice(from);
      expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
      const warnings = lines.filter((line) => line.level === 40 && line.status === 507);
      expect(warnings).toHaveLength(2);
      expect(warnings.map((line) => line.msg)).toEqual([
        expect.stringMatching(/no storage space left for an upload of 2 MiB/),
        expect.stringMatching(/ran out of storage space/),
      ]);
    });
  });

  describe('everything else', () => {
    it('keeps serving downloads, pages and other users while the disk is full', async () => {
      const { user } = await buildUser(t);
      const content = randomBytes(64 * 1024);
      const file = await storeFile(t, user, content);
      fill(0);
      const download = await request(t.server)
        .get(`/api/files/${file.id}/download`)
        .set('Authorization', bearer(t, user))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(sha256(download.body as Buffer)).toBe(sha256(content));
      await request(t.server).get('/').expect(200);
      const other = await buildUser(t);
      await request(t.server)
        .get('/api/files')
        .set('Authorization', bearer(t, other.user))
        .expect(200);
    });
  });

  describe('tus /api/uploads/', () => {
    it('refuses a creation with 507 when free space minus what unfinished uploads may still send cannot hold it', async () => {
      fill(12 * MiB);
      await createUpload(t, auth, 8 * MiB);
      // 12 MiB are free, but 8 of them belong to the upload above.
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set('Upload-Length', String(6 * MiB))
        .expect(507);
      expect(res.body).toMatchObject({ status: 507, code: 'INSUFFICIENT_STORAGE' });
      expect(res.body.detail).toMatch(/no storage space left for an upload of 6 MiB/);
      expect(await t.deps.models.Upload.count()).toBe(1);
      await createUpload(t, auth, 3 * MiB);
    });

    it('answers 507 to a PATCH that runs out of space, keeps its partial, and resumes once space is freed', async () => {
      const content = randomBytes(8 * MiB);
      const { id, url } = await createUpload(t, auth, content.length);
      fill(2 * MiB);
      const res = await patchUpload(t.server, url, 0, content, auth).expect(507);
      expect(res.body).toMatchObject({ status: 507, code: 'INSUFFICIENT_STORAGE' });
      expect(res.body.detail).toMatch(/bytes received so far are kept/);
      const head = await request(t.server)
        .head(url)
        .set(TUS)
        .set('Authorization', auth)
        .expect(200);
      const offset = Number(head.headers['upload-offset']);
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeLessThan(content.length);
      expect(fs.statSync(partialPath(t, id)).size).toBe(offset);

      const metrics = await t.deps.metrics.registry.metrics();
      expect(metrics).toMatch(/^depot_partial_uploads 1$/m);
      expect(metrics).toMatch(new RegExp(`^depot_partial_upload_bytes ${offset}$`, 'm'));
      expect(metrics).toMatch(
        new RegExp(`^depot_upload_promised_bytes ${content.length - offset}$`, 'm'),
      );
      expect(metrics).toMatch(/^depot_upload_dir_free_bytes \d+$/m);

      unfill();
      await patchUpload(t.server, url, offset, content.subarray(offset), auth).expect(204);
      const row = await t.deps.models.File.findByPk(id);
      expect(row?.sha256).toBe(sha256(content));
      expect(sha256(fs.readFileSync(t.deps.storage.pathFor(id)))).toBe(sha256(content));
    });
  });
});
