import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import request from 'supertest';
import { bearer, buildUser } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { sha256 } from '../helpers/stored-files';
import { startDepot, TEST_ENV, type DepotProcess } from '../helpers/depot-process';
import { patchHeaders, patchUpload, TUS, tusMetadata } from '../helpers/tus';
import { chunkedFormHeaders, eventually, filePartHead, walkFiles } from '../helpers/upload-checks';

jest.setTimeout(240_000);

const MiB = 1024 * 1024;
/** Larger than two of the partial files' 64 MiB sync intervals, so a crash mid-PATCH has a synced stretch behind it. */
const PATCH_BYTES = 160 * MiB;

/** Writes `chunk` and waits for the socket to take it (back-pressure), or rejects when the request failed. */
function write(req: http.ClientRequest, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (req.destroyed) return reject(new Error('request closed'));
    if (req.write(chunk)) return resolve();
    const closed = () => reject(new Error('request closed'));
    req.once('close', closed);
    req.once('drain', () => {
      req.off('close', closed);
      resolve();
    });
  });
}

/** A request whose body the test streams by hand; its failure (the server was killed) is expected. */
function openRequest(
  port: number,
  options: { method: string; path: string; headers: Record<string, string> },
): http.ClientRequest {
  const req = http.request({ host: '127.0.0.1', port, agent: false, ...options });
  req.on('error', () => undefined);
  req.on('response', (res) => res.resume());
  return req;
}

/** Every temp file (not the heartbeats) and every stored content file under the upload directory. */
function leftovers(uploadDir: string): string[] {
  return walkFiles(uploadDir).filter(
    (name) => !name.endsWith('.alive') && !name.startsWith('.uploads'),
  );
}

describe.each(DATABASES)('kill -9 of a running server (%s)', (db) => {
  let t: TestApp;
  let depot: DepotProcess | null = null;
  let auth: string;
  const secrets = {
    APP_KEYS: randomBytes(32).toString('base64url'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
  };
  const childEnv = () => ({
    ...TEST_ENV,
    ...secrets,
    DATABASE_URL: t.databaseUrl,
    UPLOAD_DIR: t.uploadDir,
    DATA_DIR: t.workDir,
    // The PATCH below pauses while the test waits; the body idle timeout must not end it first.
    BODY_IDLE_TIMEOUT: '10m',
  });

  beforeAll(async () => {
    // The in-process app only builds the database, the user and the token; the child serves.
    t = await buildTestApp({ db, env: secrets });
    auth = bearer(t, (await buildUser(t)).user);
  });
  afterEach(async () => {
    await depot?.stop();
    depot = null;
  });
  afterAll(() => t.close());

  it('during a large form upload leaves no temp file and no content after the restart', async () => {
    depot = await startDepot(childEnv());
    const boundary = 'depot-crash-test';
    const req = openRequest(depot.port, {
      method: 'POST',
      path: '/api/files',
      headers: chunkedFormHeaders(auth, boundary),
    });
    await write(req, Buffer.from(filePartHead(boundary, 'big.bin', 'application/octet-stream')));
    const tempDir = path.join(t.uploadDir, '.tmp');
    const tempBytes = () =>
      fs.existsSync(tempDir)
        ? fs
            .readdirSync(tempDir)
            .filter((name) => name.endsWith('.part'))
            .reduce((sum, name) => sum + fs.statSync(path.join(tempDir, name)).size, 0)
        : 0;
    const chunk = randomBytes(MiB);
    for (let sent = 0; tempBytes() < 16 * MiB && sent < 300; sent++) await write(req, chunk);
    expect(tempBytes()).toBeGreaterThanOrEqual(16 * MiB);
    await depot.kill9();
    // A real crash, not a shutdown that could clean up after itself.
    expect(depot.child.signalCode).toBe('SIGKILL');
    // The crash left the half-written part behind.
    expect(leftovers(t.uploadDir).some((name) => name.startsWith('.tmp'))).toBe(true);

    depot = await startDepot(childEnv());
    expect(leftovers(t.uploadDir)).toEqual([]);
    expect(await t.deps.models.File.count()).toBe(0);
  });

  it('during one large PATCH keeps a durable offset, and the upload resumes to identical bytes', async () => {
    depot = await startDepot(childEnv());
    const content = randomBytes(PATCH_BYTES);
    const created = await request(depot.baseUrl)
      .post('/api/uploads/')
      .set(TUS)
      .set('Authorization', auth)
      .set('Upload-Length', String(PATCH_BYTES))
      .set('Upload-Metadata', tusMetadata({ filename: 'big.bin' }))
      .expect(201);
    const url = created.headers.location as string;
    const id = url.split('/').pop() as string;
    const req = openRequest(depot.port, {
      method: 'PATCH',
      path: url,
      headers: patchHeaders(auth, 0, PATCH_BYTES),
    });
    // All but the last 16 MiB, then wait for a background sync to be recorded: the PATCH is still running.
    for (let at = 0; at < PATCH_BYTES - 16 * MiB; at += MiB)
      await write(req, content.subarray(at, at + MiB));
    const recorded = async () =>
      Number((await t.deps.models.Upload.findByPk(id))?.uploadOffset ?? 0);
    await eventually(async () => (await recorded()) > 0, 60_000);
    await depot.kill9();
    // A real crash, not a shutdown that could clean up after itself.
    expect(depot.child.signalCode).toBe('SIGKILL');

    depot = await startDepot(childEnv());
    const restarted = depot.baseUrl;
    const head = await request(restarted).head(url).set(TUS).set('Authorization', auth).expect(200);
    const offset = Number(head.headers['upload-offset']);
    expect(offset).toBeGreaterThanOrEqual(64 * MiB);
    expect(offset).toBeLessThanOrEqual(PATCH_BYTES - 16 * MiB);
    await patchUpload(restarted, url, offset, content.subarray(offset), auth).expect(204);
    const row = await t.deps.models.File.findByPk(id);
    expect(row?.sha256).toBe(sha256(content));
    expect(row?.size).toBe(PATCH_BYTES);
    expect(sha256(fs.readFileSync(t.deps.storage.pathFor(row!.storageKey)))).toBe(sha256(content));
    // No partial, no temp file: only the content of the finished upload.
    expect(leftovers(t.uploadDir)).toEqual([path.join(id.slice(0, 2), id)]);
    expect(walkFiles(path.join(t.uploadDir, '.uploads'))).toEqual([]);
  });
});
