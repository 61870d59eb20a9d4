import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import Router from '@koa/router';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../helpers/app';

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Log lines written for one request id. */
const linesFor = (t: TestApp, reqId: string) => t.logs.filter((line) => line.reqId === reqId);

/** Waits for the access-log line (written when the response closes). */
async function accessLine(t: TestApp, reqId: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const line = linesFor(t, reqId).find((entry) => entry.msg === 'request');
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access-log line for ${reqId}`);
}

describe('request context', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
    // Bodies that fail after the middleware chain finished: only Koa's own onerror sees them.
    const failing = new Router()
      .get('/broken-stream-500', (ctx) => {
        ctx.type = 'text/plain';
        ctx.body = fs.createReadStream(t.workDir); // a directory: EISDIR
      })
      .get('/slow-stream', (ctx) => {
        let sent = 0;
        ctx.type = 'application/octet-stream';
        ctx.body = new Readable({
          read() {
            sent += 1;
            // Bounded: 100 chunks, 5 ms apart, unless the client leaves first.
            setTimeout(() => this.push(sent > 100 ? null : Buffer.alloc(64 * 1024, 1)), 5);
          },
        });
      });
    t.app.middleware.push(failing.routes() as never);
    t.server = t.app.callback();
  });
  afterAll(() => t.close());

  describe('X-Request-Id', () => {
    it.each([
      ['a page', '/', 200],
      ['an unknown page', '/nope', 404],
      ['an API route without a token', '/api/me', 401],
      ['a health check', '/healthz', 200],
      ['a static file', '/img/logo.svg', 200],
    ])('is on %s (%s)', async (_what, url, status) => {
      const res = await request(t.server).get(url).expect(status);
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });

    it('is on a HEAD response and a 304', async () => {
      const asset = t.deps.assets.url('js/app.js');
      const head = await request(t.server)
        .head(asset)
        .set('Accept-Encoding', 'identity')
        .expect(200);
      expect(head.headers['x-request-id']).toMatch(REQUEST_ID);
      const notModified = await request(t.server)
        .get(asset)
        .set('Accept-Encoding', 'identity')
        .set('If-None-Match', head.headers.etag)
        .expect(304);
      expect(notModified.headers['x-request-id']).toMatch(REQUEST_ID);
      expect(notModified.headers['x-request-id']).not.toBe(head.headers['x-request-id']);
    });

    it('is on a POST refused for its CSRF token', async () => {
      const res = await request(t.server).post('/logout').expect(403);
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });

    it('is unique per request', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i += 1) {
        ids.add((await request(t.server).get('/healthz')).headers['x-request-id']);
      }
      expect(ids.size).toBe(20);
    });

    it("ignores the client's X-Request-Id when not behind a trusted proxy", async () => {
      const res = await request(t.server).get('/healthz').set('X-Request-Id', 'client-chosen-id');
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });

    it('a body stream failing after the middleware ran is logged once with the request id', async () => {
      // Koa 3 pipes bodies with stream.pipeline, which resets the connection: no status can be sent then.
      const before = t.logs.length;
      await expect(request(t.server).get('/broken-stream-500')).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const errors = t.logs.slice(before).filter((line) => line.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0].reqId).toMatch(REQUEST_ID);
      expect(JSON.stringify(errors[0])).toContain('EISDIR');
    });
  });

  describe('a client that hangs up mid-body', () => {
    it('is not logged as an error, and its access-log line says aborted', async () => {
      const server = http.createServer(t.server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const before = t.logs.length;
        const reqId = await new Promise<string>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/slow-stream' }, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve(res.headers['x-request-id'] as string);
            });
          });
          req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
        });
        const line = await accessLine(t, reqId);
        expect(line).toMatchObject({ status: 200, aborted: true });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(t.logs.slice(before).filter((entry) => Number(entry.level) >= 50)).toHaveLength(0);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('access log', () => {
    it('writes one JSON line per request with id, method, route, status and duration', async () => {
      const res = await request(t.server).get('/healthz').expect(200);
      const line = await accessLine(t, res.headers['x-request-id']);
      expect(line).toMatchObject({ method: 'GET', route: '/healthz', status: 200, level: 30 });
      expect(typeof line.ms).toBe('number');
      expect(linesFor(t, res.headers['x-request-id'])).toHaveLength(1);
    });

    it('labels unmatched paths as one route, so metrics stay bounded', async () => {
      const res = await request(t.server).get('/no/such/page/12345').expect(404);
      const line = await accessLine(t, res.headers['x-request-id']);
      expect(line).toMatchObject({ route: '(unmatched)', status: 404 });
    });

    it('never logs cookies, authorization headers or query secrets', async () => {
      const res = await request(t.server)
        .get('/api/me')
        .set('Authorization', 'Bearer very-secret-token-value')
        .set('Cookie', 'depot.sid=very-secret-session-id')
        .expect(401);
      await accessLine(t, res.headers['x-request-id']);
      const text = JSON.stringify(t.logs);
      expect(text).not.toContain('very-secret-token-value');
      expect(text).not.toContain('very-secret-session-id');
    });
  });
});

describe('request context behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => t.close());

  it("keeps the proxy's well-formed X-Request-Id so logs join up", async () => {
    const res = await request(t.server).get('/healthz').set('X-Request-Id', 'edge-1234abcd');
    expect(res.headers['x-request-id']).toBe('edge-1234abcd');
  });

  it.each(['short', 'has spaces in it', 'x'.repeat(200), 'bad\u00e9chars!!'])(
    'replaces a malformed incoming id (%j)',
    async (incoming) => {
      const res = await request(t.server).get('/healthz').set('X-Request-Id', incoming);
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    },
  );
});
