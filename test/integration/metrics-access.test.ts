import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { buildTestApp, type TestApp } from '../helpers/app';

const METRICS_TOKEN = 'scrape-me-with-this-token-0123456789';

/** This machine's own non-loopback IPv4 address: a connection to it comes from it, not from 127.x. */
function externalAddress(): string {
  const found = Object.values(os.networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
  if (!found) throw new Error('this test needs a non-loopback IPv4 interface (eth0)');
  return found.address;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GET over a real socket from `host` (127.0.0.1, or the external address) to the app on 0.0.0.0. */
function get(port: number, host: string, urlPath: string, headers: Record<string, string> = {}) {
  return new Promise<Reply>((resolve, reject) => {
    http
      .get({ host, port, path: urlPath, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

/** One app on 0.0.0.0:random for the suite. */
function listenOnAllInterfaces(env: Record<string, string>) {
  const state = {} as { t: TestApp; server: http.Server; port: number };
  beforeAll(async () => {
    state.t = await buildTestApp({ env });
    state.server = http.createServer(state.t.app.callback());
    await new Promise<void>((resolve) => state.server.listen(0, '0.0.0.0', resolve));
    state.port = (state.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    state.server.closeAllConnections();
    await new Promise((resolve) => state.server.close(resolve));
    await state.t.close();
  });
  return state;
}

describe('GET /metrics without METRICS_TOKEN', () => {
  const app = listenOnAllInterfaces({});
  const remote = externalAddress();

  it('answers loopback clients with the Prometheus metrics', async () => {
    const res = await get(app.port, '127.0.0.1', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('depot_http_requests_total');
  });

  it('answers any other client exactly like a missing page (404), with no metrics in it', async () => {
    const res = await get(app.port, remote, '/metrics');
    const missing = await get(app.port, remote, '/no-such-page');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe(missing.headers['content-type']);
    expect(res.body.replace(/[0-9a-f-]{36}/g, '')).toBe(missing.body.replace(/[0-9a-f-]{36}/g, ''));
    expect(res.body).not.toContain('depot_');
  });

  it.each([
    ['X-Forwarded-For', '127.0.0.1'],
    ['Forwarded', 'for=127.0.0.1'],
  ])('is not fooled by %s: %s from another machine', async (name, value) => {
    const res = await get(app.port, remote, '/metrics', { [name]: value });
    expect(res.status).toBe(404);
  });

  it('refuses a request a proxy on this machine forwarded for someone else', async () => {
    const res = await get(app.port, '127.0.0.1', '/metrics', {
      'X-Forwarded-For': '203.0.113.9',
    });
    expect(res.status).toBe(404);
  });

  it('ignores a bearer token when none is configured', async () => {
    const res = await get(app.port, remote, '/metrics', {
      Authorization: `Bearer ${METRICS_TOKEN}`,
    });
    expect(res.status).toBe(404);
  });
});

describe('GET /metrics behind a trusted proxy (TRUST_PROXY=true)', () => {
  const app = listenOnAllInterfaces({ TRUST_PROXY: 'true' });

  it('still judges the socket, never X-Forwarded-For', async () => {
    const res = await get(app.port, externalAddress(), '/metrics', {
      'X-Forwarded-For': '127.0.0.1',
    });
    expect(res.status).toBe(404);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const app = listenOnAllInterfaces({ METRICS_TOKEN });
  const remote = externalAddress();

  it('answers another machine that presents the token', async () => {
    const res = await get(app.port, remote, '/metrics', {
      Authorization: `Bearer ${METRICS_TOKEN}`,
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('depot_http_requests_total');
  });

  it('still answers loopback clients without a token', async () => {
    expect((await get(app.port, '127.0.0.1', '/metrics')).status).toBe(200);
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token of the same length', `Bearer ${METRICS_TOKEN.replace(/.$/, 'x')}`],
    ['a prefix of the token', `Bearer ${METRICS_TOKEN.slice(0, 10)}`],
    ['the token with more after it', `Bearer ${METRICS_TOKEN}x`],
    ['the token as Basic credentials', `Basic ${METRICS_TOKEN}`],
    ['an empty bearer', 'Bearer '],
  ])('answers 401 with a Bearer challenge for %s', async (_what, authorization) => {
    const res = await get(
      app.port,
      remote,
      '/metrics',
      authorization ? { Authorization: authorization, Accept: 'application/json' } : {},
    );
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="depot-metrics"');
    expect(res.body).not.toContain('depot_http');
    expect(res.body).not.toContain(METRICS_TOKEN);
  });
});
