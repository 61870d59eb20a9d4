import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { FileRecord } from '../../src/features/files/repository';
import type { User } from '../../src/features/accounts/users-repository';
import { bearer, buildUser } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { listenOn, type ListeningServer } from '../helpers/listening';
import { sha256, storeFile } from '../helpers/stored-files';
import { waitFor } from '../helpers/depot-process';

jest.setTimeout(60_000);

type Line = Record<string, unknown>;
const ROUTE = '/api/files/:id/download';
const MIB = 1024 * 1024;

/** The access line of the first download logged after index `from`. */
const accessLine = (t: TestApp, from: number): Promise<Line> =>
  waitFor(
    () => t.logs.slice(from).find((line) => line.msg === 'request' && line.route === ROUTE),
    'the access line of the download',
  );

/** Lines at warn or above, and any that mention a stream closed early, since index `from`. */
const troubleSince = (t: TestApp, from: number) =>
  t.logs
    .slice(from)
    .filter((line) => Number(line.level) >= 40 || JSON.stringify(line).includes('PREMATURE_CLOSE'));

interface Download {
  status: number;
  body: Buffer;
}

/**
 * GET over a real socket. `pauseEveryBytes`: the client stops reading for a moment after each such
 * stretch, so the server's writes back up and it must wait for the socket before reusing a buffer.
 */
function download(
  port: number,
  path: string,
  headers: Record<string, string>,
  pauseEveryBytes = 0,
): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      let sincePause = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        sincePause += chunk.length;
        if (pauseEveryBytes && sincePause >= pauseEveryBytes) {
          sincePause = 0;
          res.pause();
          setTimeout(() => res.resume(), 20);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe.each(DATABASES)('download logging (%s)', (db) => {
  let t: TestApp;
  let listening: ListeningServer;
  let port: number;
  let owner: User;
  let auth: string;
  let content: Buffer;
  let file: FileRecord;

  beforeAll(async () => {
    t = await buildTestApp({ db });
    listening = await listenOn(t.server);
    port = listening.port;
    owner = (await buildUser(t)).user;
    auth = bearer(t, owner);
    // Many send chunks (512 KiB) and an odd tail.
    content = randomBytes(6 * MIB + 12_345);
    file = await storeFile(t, owner, content);
  });
  afterAll(async () => {
    await listening.close();
    await t.close();
  });

  describe('GET /api/files/:id/download', () => {
    it('sends the whole file and logs its 200 at info with no error and no premature close', async () => {
      const from = t.logs.length;
      const res = await download(port, `/api/files/${file.id}/download`, { Authorization: auth });
      expect(res.status).toBe(200);
      expect(sha256(res.body)).toBe(file.sha256);
      expect(await accessLine(t, from)).toMatchObject({ level: 30, status: 200 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(troubleSince(t, from)).toEqual([]);
    });

    it('sends a range exactly and logs its 206 with no error', async () => {
      const from = t.logs.length;
      const start = 700_001;
      const end = 4 * MIB + 3;
      const res = await download(port, `/api/files/${file.id}/download`, {
        Authorization: auth,
        Range: `bytes=${start}-${end}`,
      });
      expect(res.status).toBe(206);
      expect(res.body.equals(content.subarray(start, end + 1))).toBe(true);
      expect(await accessLine(t, from)).toMatchObject({ level: 30, status: 206 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(troubleSince(t, from)).toEqual([]);
    });

    it('sends every byte intact to a client that keeps pausing (no buffer refilled while queued)', async () => {
      const from = t.logs.length;
      const downloads = await Promise.all(
        [0, 1, 2, 3, 4, 5].map(() =>
          download(port, `/api/files/${file.id}/download`, { Authorization: auth }, 256 * 1024),
        ),
      );
      for (const res of downloads) {
        expect(res.status).toBe(200);
        expect(sha256(res.body)).toBe(file.sha256);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(troubleSince(t, from)).toEqual([]);
    });

    it('logs a download cut mid-body at info as aborted, with no error', async () => {
      const from = t.logs.length;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port,
            path: `/api/files/${file.id}/download`,
            agent: false,
            headers: { Authorization: auth },
          },
          (res) => {
            res.once('data', () => {
              res.pause(); // far from the end of 6 MiB: the server is still sending
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
      });
      expect(await accessLine(t, from)).toMatchObject({ level: 30, status: 200, aborted: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(troubleSince(t, from)).toEqual([]);
    });

    it('logs a download whose client closed its side mid-body (FIN, no reset) at info as aborted, with no error', async () => {
      const from = t.logs.length;
      // Node answers a half-close by closing the response: stream.pipeline reports a premature close.
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write(
            `GET /api/files/${file.id}/download HTTP/1.1\r\nHost: depot.test\r\n` +
              `Authorization: ${auth}\r\n\r\n`,
          ),
        );
        socket.once('data', () => {
          socket.end();
          socket.resume();
        });
        socket.on('close', () => resolve());
        socket.on('error', (err: NodeJS.ErrnoException) =>
          err.code === 'ECONNRESET' ? undefined : reject(err),
        );
      });
      expect(await accessLine(t, from)).toMatchObject({ level: 30, status: 200, aborted: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(troubleSince(t, from)).toEqual([]);
    });

    it('logs a body that breaks while the client waits (content shorter than recorded) as an error', async () => {
      const broken = await storeFile(t, owner, content);
      // The content on disk loses its tail behind the app's back: the body cannot be completed.
      fs.truncateSync(t.deps.storage.pathFor(broken.storageKey), 2 * MIB);
      const from = t.logs.length;
      await new Promise<void>((resolve) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port,
            path: `/api/files/${broken.id}/download`,
            agent: false,
            headers: { Authorization: auth },
          },
          (res) => {
            res.resume();
            res.on('error', () => resolve());
            res.on('close', () => resolve());
          },
        );
        req.on('error', () => resolve());
      });
      const errors = await waitFor(() => {
        const found = t.logs.slice(from).filter((line) => Number(line.level) >= 50);
        return found.length ? found : undefined;
      }, 'the error line');
      expect(errors).toHaveLength(1);
      expect(JSON.stringify(errors[0])).toContain('file ended before its recorded size');
    });
  });
});
