import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { bearer, buildUser } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { storeFile } from '../helpers/stored-files';
import { eventually } from '../helpers/upload-checks';
import { newId } from '../../src/lib/ids';
import { PROCESS_OWNER } from '../../src/storage/temp-owners';

const HOUR_MS = 3_600_000;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The pid of a process that ran and exited (so no process has it right now). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid as number;
}

/** An owner tag as another Depot process would write it. */
const tagOf = (host: string, pid: number) => `${host}.${pid}.${randomBytes(4).toString('hex')}`;

describe.each(DATABASES)('the storage sweep of a running server (%s)', (db) => {
  let t: TestApp;
  let tempDir: string;

  beforeAll(async () => {
    t = await buildTestApp({ db, env: { STORAGE_SWEEP_INTERVAL: '1s' } });
    tempDir = path.join(t.uploadDir, '.tmp');
  });
  afterAll(() => t.close());

  /** A temp file of `tag`, last written `ageMs` ago. */
  function tempFile(tag: string, ageMs = 0): string {
    fs.mkdirSync(tempDir, { recursive: true });
    const file = path.join(tempDir, `${tag}.${randomUUID()}.part`);
    fs.writeFileSync(file, randomBytes(64 * 1024));
    age(file, ageMs);
    return file;
  }
  function heartbeat(tag: string, ageMs: number): string {
    const file = path.join(tempDir, `${tag}.alive`);
    fs.writeFileSync(file, '');
    age(file, ageMs);
    return file;
  }
  function age(file: string, ageMs: number) {
    const when = new Date(Date.now() - ageMs);
    fs.utimesSync(file, when, when);
  }
  function contentFile(key: string, ageMs: number): string {
    const file = t.deps.storage.pathFor(key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(1024));
    age(file, ageMs);
    return file;
  }
  const gone = (file: string) => !fs.existsSync(file);

  it('removes the temp file of a process that died on this host', async () => {
    const file = tempFile(tagOf(PROCESS_OWNER.host, deadPid()));
    await eventually(() => gone(file), 15_000);
  });

  it('removes temp files of other hosts once their heartbeat is stale, and keeps those of live ones', async () => {
    const stale = tagOf('other-host-a', 4242);
    const staleBeat = heartbeat(stale, 10 * 60_000);
    const staleFile = tempFile(stale);
    const live = tagOf('other-host-b', 4242);
    heartbeat(live, 0);
    // Not written for an hour (a staged part waiting for the rest of its form), but its owner is alive.
    const liveFile = tempFile(live, HOUR_MS);
    const silentOld = tempFile(tagOf('other-host-c', 4242), HOUR_MS);
    const silentFresh = tempFile(tagOf('other-host-d', 4242));
    await eventually(() => gone(staleFile) && gone(silentOld) && gone(staleBeat), 15_000);
    expect(fs.existsSync(liveFile)).toBe(true);
    expect(fs.existsSync(silentFresh)).toBe(true);
    fs.rmSync(liveFile);
    fs.rmSync(silentFresh);
  });

  it('removes content that no row points at once it is older than the registration window, and nothing else', async () => {
    const { user } = await buildUser(t);
    const registered = await storeFile(t, user, randomBytes(2048));
    age(t.deps.storage.pathFor(registered.storageKey), HOUR_MS);
    const orphan = contentFile(newId(), HOUR_MS);
    const young = contentFile(newId(), 0);
    // A resumable upload between its move into storage and its row (another instance is completing it).
    const completing = newId();
    await t.deps.models.Upload.create({
      id: completing,
      ownerId: user.id,
      size: 1024,
      metadata: '{}',
      status: 'completing',
    });
    const completingFile = contentFile(completing, HOUR_MS);
    await eventually(() => gone(orphan), 15_000);
    expect(fs.existsSync(t.deps.storage.pathFor(registered.storageKey))).toBe(true);
    expect(fs.existsSync(young)).toBe(true);
    expect(fs.existsSync(completingFile)).toBe(true);
  });

  it('leaves the temp file of a form upload that is being written, and the upload then completes', async () => {
    const { user } = await buildUser(t);
    const server = http.createServer(t.server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const boundary = 'depot-sweep-test';
    const first = randomBytes(1024 * 1024);
    const second = randomBytes(1024 * 1024);
    const req = http.request({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      method: 'POST',
      path: '/api/files',
      headers: {
        Authorization: bearer(t, user),
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Transfer-Encoding': 'chunked',
      },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n\r\n`,
    );
    req.write(first);
    // This process's own parts (files other tests left belong to other owners).
    const parts = () =>
      (fs.existsSync(tempDir) ? fs.readdirSync(tempDir) : []).filter((name) =>
        name.startsWith(`${PROCESS_OWNER.tag}.`),
      );
    await eventually(() => parts().length === 1, 15_000);
    const writing = path.join(tempDir, parts()[0]);
    // Its age is not what keeps it: its writer is this live process.
    age(writing, HOUR_MS);
    const marker = tempFile(tagOf(PROCESS_OWNER.host, deadPid()));
    await eventually(() => gone(marker), 15_000);
    expect(fs.existsSync(writing)).toBe(true);

    req.end(Buffer.concat([second, Buffer.from(`\r\n--${boundary}--\r\n`)]));
    const res = await answer;
    await new Promise((resolve) => server.close(resolve));
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body).items[0].sha256).toBe(sha256(Buffer.concat([first, second])));
  });
});
