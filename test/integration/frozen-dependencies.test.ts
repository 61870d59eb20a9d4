import request from 'supertest';
import { boundedAnswers } from '../helpers/bounded-answers';
import { buildTestApp, type TestApp } from '../helpers/app';
import { bearer, buildUser, csrfFrom, signedInAgent } from '../helpers/agents';
import {
  startPrivateMariadb,
  startPrivateRedis,
  type PrivateServer,
} from '../helpers/private-servers';
import { createUpload, patchUpload } from '../helpers/tus';
import { eventually } from '../helpers/upload-checks';

jest.setTimeout(60_000);

/** Each database or Redis call is bounded at 1.5 s here (5 s by default), so a frozen one shows quickly. */
const ENV = {
  DEPENDENCY_TIMEOUT: '1500ms',
  APP_KEYS: 'frozen-deps-test-cookie-key-0123456789',
  JWT_SECRET: 'frozen-deps-test-jwt-secret-0123456789',
};
/** Every answer during a freeze must come well before this (it would hang 73 s and more unbounded). */
const ANSWER_BOUND_MS = 10_000;

const { timed, expect503 } = boundedAnswers(ANSWER_BOUND_MS);

/** The sign-in form's CSRF token for `agent` (its session is created here). */
async function loginForm(agent: ReturnType<typeof request.agent>): Promise<string> {
  return csrfFrom((await agent.get('/login').expect(200)).text);
}

/** A private server from `start` and an app whose `setting` is that server's URL, for the tests of one describe. */
function serverAndApp(
  start: () => Promise<PrivateServer>,
  setting: 'REDIS_URL' | 'DATABASE_URL',
): { server: PrivateServer; t: TestApp } {
  // Filled in by beforeAll, before any test of the describe reads it.
  const both = {} as { server: PrivateServer; t: TestApp };
  beforeAll(async () => {
    both.server = await start();
    both.t = await buildTestApp({ env: { ...ENV, [setting]: both.server.url } });
  });
  afterAll(async () => {
    both.server?.thaw();
    await both.t?.close();
    await both.server?.stop();
  });
  return both;
}

/** Signs `username` in through the form with a fresh session, as a visitor would after recovery. */
async function signInAgain(t: TestApp, username: string, password: string): Promise<void> {
  const again = request.agent(t.server);
  const token = await loginForm(again);
  await again.post('/login').type('form').send({ _csrf: token, username, password }).expect(303);
}

describe('a frozen or stopped Redis (sessions, sign-in limits)', () => {
  const deps = serverAndApp(startPrivateRedis, 'REDIS_URL');

  it('answers 503 with Retry-After naming Redis on pages and sign-in, /readyz names redis, and all recovers after SIGCONT', async () => {
    const { server: redis, t } = deps;
    const { user, password } = await buildUser(t);
    const signedIn = await signedInAgent(t, { username: user.username, password });
    const guest = request.agent(t.server);
    const csrf = await loginForm(guest);
    const auth = bearer(t, user);
    const upload = await createUpload(t, auth, 1024);

    redis.freeze();
    const [page, signIn, ready, patch] = await Promise.all([
      timed(signedIn.agent.get('/files').set('Accept', 'text/html')),
      timed(
        guest.post('/login').type('form').send({ _csrf: csrf, username: user.username, password }),
      ),
      timed(request(t.server).get('/readyz')),
      // The upload lock is in Redis: this fails inside @tus/server, which has its own error answers.
      timed(patchUpload(t.server, upload.url, 0, Buffer.alloc(1024, 1), auth)),
    ]);
    expect503(page, 'Depot cannot reach its session store (Redis) right now.');
    expect503(patch, 'Depot cannot reach its session store (Redis) right now.');
    expect(page.res.headers['content-type']).toMatch(/text\/html/);
    expect503(signIn, 'Depot cannot reach its session store (Redis) right now.');
    expect(ready.res.status).toBe(503);
    expect(ready.res.body.failing).toEqual(['redis']);
    expect(ready.ms).toBeLessThan(ANSWER_BOUND_MS);

    redis.thaw();
    await eventually(async () => (await request(t.server).get('/readyz')).status === 200, 15_000);
    await signedIn.agent.get('/files').expect(200);
    await patchUpload(t.server, upload.url, 0, Buffer.alloc(1024, 1), auth).expect(204);
    await signInAgain(t, user.username, password);
  });

  it('answers sign-in with a 503 page while Redis is down and signs in again by itself once it is back', async () => {
    const { server: redis, t } = deps;
    const { user, password } = await buildUser(t);
    const guest = request.agent(t.server);
    const csrf = await loginForm(guest);

    await redis.kill();
    const signIn = await timed(
      guest.post('/login').type('form').send({ _csrf: csrf, username: user.username, password }),
    );
    expect503(signIn, 'Depot cannot reach its session store (Redis) right now.');
    expect(signIn.res.headers['content-type']).toMatch(/text\/html/);
    // A new visitor's sign-in page needs a session (its CSRF token) saved in Redis.
    const form = await timed(request(t.server).get('/login').set('Accept', 'text/html'));
    expect503(form, 'Depot cannot reach its session store (Redis) right now.');
    const api = await timed(
      request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username, password: 'wrong password' }),
    );
    expect503(api, 'session store (Redis)');
    expect(api.res.headers['content-type']).toMatch(/application\/problem\+json/);

    await redis.restart();
    // ioredis retries every 5 s at most: the returning Redis is in use well within 10 s.
    await eventually(async () => (await request(t.server).get('/readyz')).status === 200, 10_000);
    await signInAgain(t, user.username, password);
  });
});

describe('a frozen MariaDB', () => {
  const deps = serverAndApp(startPrivateMariadb, 'DATABASE_URL');

  it('answers pages and the API 503 naming the database, /readyz names it, and everything recovers after SIGCONT', async () => {
    const { server: mariadb, t } = deps;
    const { user, password } = await buildUser(t);
    const signedIn = await signedInAgent(t, { username: user.username, password });
    const auth = bearer(t, user);
    await request(t.server).get('/api/files').set('Authorization', auth).expect(200);

    mariadb.freeze();
    const [page, api, home, ready] = await Promise.all([
      timed(signedIn.agent.get('/files').set('Accept', 'text/html')),
      timed(request(t.server).get('/api/files').set('Authorization', auth)),
      timed(request(t.server).get('/').set('Accept', 'text/html')),
      timed(request(t.server).get('/readyz')),
    ]);
    const words = 'Depot cannot reach its database right now.';
    expect503(page, words);
    expect(page.res.headers['content-type']).toMatch(/text\/html/);
    expect503(api, words);
    expect(api.res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(api.res.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect503(home, words);
    expect(ready.res.status).toBe(503);
    expect(ready.res.body.failing).toEqual(['database']);
    expect(ready.ms).toBeLessThan(ANSWER_BOUND_MS);
    // The stuck connections were destroyed: the next request waits on a new connection's handshake.
    expect503(await timed(request(t.server).get('/api/files').set('Authorization', auth)), words);

    mariadb.thaw();
    await eventually(async () => (await request(t.server).get('/readyz')).status === 200, 15_000);
    await signedIn.agent.get('/files').expect(200);
    const list = await request(t.server).get('/api/files').set('Authorization', auth).expect(200);
    expect(list.body).toBeDefined();
    await request(t.server).get('/').expect(200);
  });
});
