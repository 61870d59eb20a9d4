import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';

const APP_ID = 'wx-test-appid';
const SECRET = 'wechat-secret-never-logged-0123456789';
const SESSION_KEY = 'session-key-never-logged-abcdef';

interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** A stand-in for api.weixin.qq.com on 127.0.0.1: the login code picks the answer. */
async function startFakeWechat() {
  const seen: SeenRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    seen.push({ method: req.method ?? '', path: url.pathname, query });
    const code = query.js_code ?? '';
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (code.startsWith('ok-')) {
      json(200, { openid: `openid-${code.slice(3)}`, session_key: SESSION_KEY });
    } else if (code === 'refused') {
      json(200, { errcode: 40029, errmsg: 'invalid code, rid: 1234' });
    } else if (code === 'slow') {
      const timer = setTimeout(
        () => json(200, { openid: 'openid-slow', session_key: SESSION_KEY }),
        2000,
      );
      timers.add(timer);
    } else if (code === 'garbage') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"openid": "half');
    } else if (code === 'redirect') {
      // Followed, this would log in: /elsewhere answers like a successful jscode2session.
      res.writeHead(302, { Location: `/elsewhere?${url.searchParams}` });
      res.end();
    } else if (url.pathname === '/elsewhere') {
      json(200, { openid: 'openid-redirected', session_key: SESSION_KEY });
    } else if (code === 'html') {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>bad gateway</html>');
    } else {
      json(200, { session_key: SESSION_KEY });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (connection refused). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(DATABASES)('POST /api/auth/wechat (%s)', (db) => {
  let t: TestApp;
  let wechat: Awaited<ReturnType<typeof startFakeWechat>>;

  beforeAll(async () => {
    wechat = await startFakeWechat();
    t = await buildTestApp({
      db,
      env: {
        WECHAT_APPID: APP_ID,
        WECHAT_SECRET: SECRET,
        WECHAT_API_BASE: wechat.baseUrl,
        // Everything that is logged at any level must still leave the secrets out.
        LOG_LEVEL: 'trace',
      },
    });
  });
  afterAll(async () => {
    const logs = JSON.stringify(t.logs);
    await t.close();
    await wechat.stop();
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(SESSION_KEY);
  });

  const login = (body: unknown) =>
    request(t.server)
      .post('/api/auth/wechat')
      .send(body as object);

  it('exchanges the code, creates the user bound to the openid and returns a working token', async () => {
    const res = await login({ code: 'ok-alpha' }).expect(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.stringify(res.body)).not.toContain(SESSION_KEY);
    const call = wechat.seen.at(-1)!;
    expect(call).toEqual({
      method: 'GET',
      path: '/sns/jscode2session',
      query: {
        appid: APP_ID,
        secret: SECRET,
        js_code: 'ok-alpha',
        grant_type: 'authorization_code',
      },
    });
    const row = await t.deps.models.User.findOne({ where: { wechatOpenid: 'openid-alpha' } });
    expect(row).not.toBeNull();
    expect(row!.passwordHash).toBeNull();
    expect(row!.username).toMatch(/^wx_[a-z0-9_-]{12}$/);
    const me = await request(t.server)
      .get('/api/me')
      .set('Authorization', `Bearer ${res.body.access_token}`)
      .expect(200);
    expect(me.body).toMatchObject({ id: row!.id, username: row!.username });
    await t.deps.activity.flush();
    const user = (await t.deps.accounts.findById(row!.id))!;
    const { items } = await t.deps.activity.listForUser(user, 1, 100);
    expect(items.map((event) => event.type)).toEqual(['signin']);
  });

  it('finds the same user for the same openid, also when two first logins race', async () => {
    const first = await login({ code: 'ok-beta' }).expect(200);
    const second = await login({ code: 'ok-beta' }).expect(200);
    const subject = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub;
    expect(subject(second.body.access_token)).toBe(subject(first.body.access_token));
    const raced = await Promise.all([login({ code: 'ok-gamma' }), login({ code: 'ok-gamma' })]);
    expect(raced.map((res) => res.status)).toEqual([200, 200]);
    expect(subject(raced[0].body.access_token)).toBe(subject(raced[1].body.access_token));
    expect(await t.deps.models.User.count({ where: { wechatOpenid: 'openid-beta' } })).toBe(1);
    expect(await t.deps.models.User.count({ where: { wechatOpenid: 'openid-gamma' } })).toBe(1);
  });

  it("turns WeChat's errcode into a 401 problem carrying its message", async () => {
    const before = await t.deps.models.User.count();
    const res = await login({ code: 'refused' }).expect(401);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toContain('invalid code');
    expect(await t.deps.models.User.count()).toBe(before);
  });

  it('answers 504 when WeChat is slower than the timeout', async () => {
    const started = Date.now();
    const res = await login({ code: 'slow' }).expect(504);
    expect(res.type).toBe('application/problem+json');
    expect(Date.now() - started).toBeLessThan(1900);
  });

  it.each([
    ['malformed JSON', 'garbage'],
    ['an HTML error page', 'html'],
    ['an answer without openid', 'no-openid'],
    ['a redirect (never followed: it would carry the secret elsewhere)', 'redirect'],
  ])('answers 502 to %s', async (_label, code) => {
    const res = await login({ code }).expect(502);
    expect(res.type).toBe('application/problem+json');
    expect(wechat.seen.some((call) => call.path === '/elsewhere')).toBe(false);
  });

  it.each([
    ['a missing code', {}],
    ['an empty code', { code: '' }],
    ['a blank code', { code: '   ' }],
    ['a non-string code', { code: 12345 }],
    ['an absurdly long code', { code: 'x'.repeat(1000) }],
  ])('answers 400 naming the field to %s, without calling WeChat', async (_label, body) => {
    const calls = wechat.seen.length;
    const res = await login(body).expect(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.errors).toHaveProperty('code');
    expect(wechat.seen.length).toBe(calls);
  });

  it('answers 400 to malformed JSON', async () => {
    await request(t.server)
      .post('/api/auth/wechat')
      .set('Content-Type', 'application/json')
      .send('{"code": ')
      .expect(400);
  });
});

describe('POST /api/auth/wechat when WeChat cannot be reached', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        WECHAT_APPID: APP_ID,
        WECHAT_SECRET: SECRET,
        WECHAT_API_BASE: `http://127.0.0.1:${await closedPort()}`,
      },
    });
  });
  afterAll(() => t.close());

  it('answers 502 to a refused connection and logs the failure without the secret', async () => {
    const res = await request(t.server).post('/api/auth/wechat').send({ code: 'ok-x' }).expect(502);
    expect(res.type).toBe('application/problem+json');
    const warning = t.logs.find((line) => line.msg === 'wechat jscode2session failed');
    expect(warning).toBeDefined();
    expect(JSON.stringify(t.logs)).not.toContain(SECRET);
  });
});

describe('POST /api/auth/wechat without WECHAT_APPID', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('does not exist (404 problem for any method)', async () => {
    const res = await request(t.server).post('/api/auth/wechat').send({ code: 'ok-x' }).expect(404);
    expect(res.type).toBe('application/problem+json');
    await request(t.server).get('/api/auth/wechat').expect(404);
  });
});
