import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { buildUser, csrfFrom } from '../helpers/agents';
import { cookieValue, sessionCookieHeader } from '../helpers/cookies';
import { DATABASES } from '../helpers/databases';

const REDIS_URL = process.env.TEST_REDIS_URL;
/** describe, or describe.skip with the reason in its title when no Redis is configured. */
function describeWithRedis(title: string, body: () => void): void {
  if (REDIS_URL) describe(title, body);
  else describe.skip(`${title} [skipped: set TEST_REDIS_URL=redis://127.0.0.1:6379 to run]`, body);
}

/** Signs in through the real form; returns the agent and the sign-in response. */
async function signIn(t: TestApp, username: string, password: string) {
  const agent = request.agent(t.server);
  const form = await agent.get('/login').expect(200);
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(form.text), username, password });
  return { agent, res, form };
}

describeWithRedis('sessions in Redis (TEST_REDIS_URL)', () => {
  describe.each(DATABASES)('with %s', (db) => {
    let t: TestApp;
    let raw: Redis;
    let prefix: string;

    beforeAll(async () => {
      t = await buildTestApp({ db, redis: true });
      prefix = t.deps.redis!.options.keyPrefix!;
      raw = new Redis(REDIS_URL!);
    });
    afterAll(async () => {
      raw.disconnect();
      await t.close();
    });

    it('keeps the session under the test prefix, not in SQL, and deletes it at sign-out', async () => {
      const { user, password } = await buildUser(t);
      const { agent, res, form } = await signIn(t, user.username, password);
      expect(res.status).toBe(303);
      const guestSid = cookieValue(form, 'depot.sid')!;
      const sid = cookieValue(res, 'depot.sid')!;
      expect(sid).toMatch(/^sess:/);
      expect(sid).not.toBe(guestSid);

      const stored = await raw.get(`${prefix}${sid}`);
      expect(stored).not.toBeNull();
      expect(JSON.parse(stored!)).toMatchObject({ userId: user.id });
      const ttl = await raw.ttl(`${prefix}${sid}`);
      expect(ttl).toBeGreaterThan(7 * 86_400 - 60);
      expect(await raw.exists(`${prefix}${guestSid}`)).toBe(0);
      expect(await t.deps.models.Session.count()).toBe(0);

      const page = await agent.get('/account').expect(200);
      await agent
        .post('/logout')
        .type('form')
        .send({ _csrf: csrfFrom(page.text) })
        .expect(303);
      expect(await raw.exists(`${prefix}${sid}`)).toBe(0);
      await request(t.server).get('/account').set('Cookie', sessionCookieHeader(res)).expect(303);
    });

    it('keeps the session across an app restart', async () => {
      const { user, password } = await buildUser(t);
      const { res } = await signIn(t, user.username, password);
      t = await t.restart();
      const page = await request(t.server)
        .get('/account')
        .set('Cookie', sessionCookieHeader(res))
        .expect(200);
      expect(page.text).toContain(`>${user.username}<`);
    });
  });
});

describeWithRedis('sign-in rate limit counters in Redis (TEST_REDIS_URL)', () => {
  const sharedPrefix = `depot-test:${randomBytes(6).toString('hex')}:`;
  let a: TestApp;
  let b: TestApp;
  let raw: Redis;

  beforeAll(async () => {
    // Two app instances (each with its own database) behind one Redis, like two web servers.
    a = await buildTestApp({ redis: true, deps: { redisKeyPrefix: sharedPrefix } });
    b = await buildTestApp({ redis: true, deps: { redisKeyPrefix: sharedPrefix } });
    raw = new Redis(REDIS_URL!);
  });
  afterAll(async () => {
    const keys = await raw.keys(`${sharedPrefix}*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
    await a.close();
    await b.close();
  });

  it('shares the budget between instances: 5 failures on each, then 429 on both', async () => {
    const username = 'shared_budget';
    const password = 'correct horse battery';
    await buildUser(a, { username, password });
    await buildUser(b, { username, password });
    for (let i = 0; i < 5; i += 1) {
      expect((await signIn(a, username, `wrong ${i} password`)).res.status).toBe(401);
      expect((await signIn(b, username, `wrong ${i} password`)).res.status).toBe(401);
    }
    const keys = await raw.keys(`${sharedPrefix}login-fail*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain(`|${username}`);
    const refused = await signIn(a, username, password);
    expect(refused.res.status).toBe(429);
    expect(Number(refused.res.headers['retry-after'])).toBeGreaterThan(800);
    const api = await request(b.server).post('/api/auth/token').send({ username, password });
    expect(api.status).toBe(429);
    expect(api.type).toBe('application/problem+json');
  });
});
