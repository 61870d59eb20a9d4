import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Router from '@koa/router';
import request from 'supertest';
import { bearer, buildUser } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { listenOn, type ListeningServer } from '../helpers/listening';
import { createUpload, partialPath, patchHeaders, TUS } from '../helpers/tus';
import { waitFor } from '../helpers/depot-process';

jest.setTimeout(60_000);

type Line = Record<string, unknown>;

/** The access-log line of the first request to `route` with `method` logged after index `from`. */
function accessLine(t: TestApp, from: number, method: string, route: string): Promise<Line> {
  return waitFor(
    () =>
      t.logs
        .slice(from)
        .find((line) => line.msg === 'request' && line.method === method && line.route === route),
    `the access line of ${method} ${route}`,
  );
}

/** depot_http_requests_total by status for one method and route, as /metrics reports it. */
async function countsByStatus(t: TestApp, method: string, route: string) {
  const metric = await t.deps.metrics.httpRequests.get();
  return Object.fromEntries(
    metric.values
      .filter((value) => value.labels.method === method && value.labels.route === route)
      .map((value) => [String(value.labels.status), value.value]),
  );
}

const errorsSince = (t: TestApp, from: number) =>
  t.logs.slice(from).filter((line) => Number(line.level) >= 50);

describe.each(DATABASES)('a client that goes away (%s)', (db) => {
  let t: TestApp;
  let listening: ListeningServer;
  let server: http.Server;
  let port: number;
  let auth: string;

  beforeAll(async () => {
    t = await buildTestApp({ db });
    listening = await listenOn(t.app.callback());
    ({ server, port } = listening);
    auth = bearer(t, (await buildUser(t)).user);
    // A handler that fails with a socket error code: after its client left, or while it still waits.
    const failing = new Router()
      .get('/fails-after-client-left', async (ctx) => {
        await new Promise((resolve) => ctx.req.socket.once('close', resolve));
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      })
      .get('/dependency-reset', () => {
        throw Object.assign(new Error('connect ECONNRESET 10.0.0.9:3306'), { code: 'ECONNRESET' });
      });
    t.app.middleware.push(failing.routes() as never);
    t.server = t.app.callback();
    server.removeAllListeners('request');
    server.on('request', t.server);
  });
  afterAll(async () => {
    await listening.close();
    await t.close();
  });

  describe('GET /api/files/:id/download cut mid-body', () => {
    it('is logged at info as an aborted 200, counted as aborted, and no error is logged', async () => {
      const content = randomBytes(16 * 1024 * 1024);
      const uploaded = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .attach('file', content, 'big.bin')
        .expect(201);
      const id = uploaded.body.items[0].id as string;
      const from = t.logs.length;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port,
            path: `/api/files/${id}/download`,
            agent: false,
            headers: { Authorization: auth },
          },
          (res) => {
            expect(res.statusCode).toBe(200);
            res.once('data', () => {
              res.pause(); // far from the end of 16 MiB: the server is still sending
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
      });
      const route = '/api/files/:id/download';
      const line = await accessLine(t, from, 'GET', route);
      expect(line).toMatchObject({ level: 30, status: 200, aborted: true });
      expect(await countsByStatus(t, 'GET', route)).toEqual({ aborted: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(errorsSince(t, from)).toEqual([]);
    });
  });

  describe('PATCH /api/uploads/:id cut mid-body (tus)', () => {
    it('is logged at info as aborted with no status it never sent, counted as aborted, and keeps what arrived', async () => {
      const size = 8 * 1024 * 1024;
      const { id, url } = await createUpload(t, auth, size);
      const from = t.logs.length;
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: url,
        method: 'PATCH',
        agent: false,
        headers: patchHeaders(auth, 0, size),
      });
      req.on('error', () => undefined);
      req.write(randomBytes(size / 2));
      // Cut once the server is writing the body (it holds up to 1 MiB before writing).
      await waitFor(() => {
        const file = partialPath(t, id);
        return fs.existsSync(file) && fs.statSync(file).size >= 1024 * 1024 ? true : undefined;
      }, 'the first bytes on disk');
      req.destroy();

      const route = '/api/uploads/:id';
      const line = await accessLine(t, from, 'PATCH', route);
      expect(line).toMatchObject({ level: 30, aborted: true });
      expect(line).not.toHaveProperty('status'); // Koa's placeholder 404 never reached anyone
      expect(await countsByStatus(t, 'PATCH', route)).toEqual({ aborted: 1 });
      // The store finishes with what arrived (the client resumes from there); nothing is an error.
      let offset = 0;
      for (let attempt = 0; attempt < 100 && offset === 0; attempt += 1) {
        const res = await request(t.server).head(url).set(TUS).set('Authorization', auth);
        offset = Number(res.headers['upload-offset']);
        if (offset === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(offset).toBeGreaterThan(0);
      expect(errorsSince(t, from)).toEqual([]);
      expect(JSON.stringify(t.logs.slice(from))).not.toContain('HPE_INVALID_EOF_STATE');
    });
  });

  describe("app.on('error')", () => {
    it('does not log a socket error of a request whose client already left', async () => {
      const from = t.logs.length;
      const req = http.get({
        host: '127.0.0.1',
        port,
        path: '/fails-after-client-left',
        agent: false,
      });
      req.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      req.destroy();
      const line = await accessLine(t, from, 'GET', '/fails-after-client-left');
      expect(line).toMatchObject({ level: 30, aborted: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(errorsSince(t, from)).toEqual([]);
    });

    it('still logs the same code as a server error while the client waits (a dependency reset)', async () => {
      const from = t.logs.length;
      await request(t.server).get('/dependency-reset').expect(500);
      const errors = errorsSince(t, from);
      expect(errors).toHaveLength(1);
      expect(JSON.stringify(errors[0])).toContain('ECONNRESET');
    });
  });

  describe('POST /api/files cut mid-body (multipart)', () => {
    it('is logged at info as aborted, counted as aborted, and no error is logged', async () => {
      const boundary = 'depot-test-boundary';
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      );
      const from = t.logs.length;
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/api/files',
        method: 'POST',
        agent: false,
        headers: {
          Authorization: auth,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': String(head.length + 8 * 1024 * 1024),
        },
      });
      req.on('error', () => undefined);
      req.write(head);
      req.write(randomBytes(2 * 1024 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 200));
      req.destroy();
      const route = '/api/files';
      const line = await accessLine(t, from, 'POST', route);
      expect(line).toMatchObject({ level: 30, aborted: true });
      expect(line).not.toHaveProperty('status');
      const counts = await countsByStatus(t, 'POST', route);
      expect(counts.aborted).toBe(1);
      expect(counts['404']).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(errorsSince(t, from)).toEqual([]);
    });
  });
});
