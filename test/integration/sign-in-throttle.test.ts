import request from 'supertest';
import { DEFAULT_HASH_PARAMS, HASHING } from '../../src/lib/password';
import {
  ADDRESS_FAILURES_ALLOWED,
  REGISTRATIONS_ALLOWED,
} from '../../src/features/accounts/rate-limit';
import { buildUser, csrfFrom, uniqueName } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';

/** The limits at their defaults (buildTestApp raises them for suites that do not test them). */
const REAL_LIMITS = {
  SIGNIN_FAILURES_PER_ADDRESS: String(ADDRESS_FAILURES_ALLOWED),
  REGISTRATIONS_PER_HOUR: String(REGISTRATIONS_ALLOWED),
  TRUST_PROXY: '1',
};

/**
 * Posts a page's form as a new browser each time (a sign-in or sign-up renews the session and its CSRF
 * token), every request coming from `client` through one trusted proxy; expects `status`.
 */
async function formAgent(t: TestApp, path: string, client: string) {
  const post = async (fields: Record<string, string>, status: number) => {
    const agent = request.agent(t.server);
    const csrf = csrfFrom((await agent.get(path).expect(200)).text);
    return agent
      .post(path)
      .set('X-Forwarded-For', client)
      .type('form')
      .send({ _csrf: csrf, ...fields })
      .expect(status);
  };
  return { post };
}

describe.each(DATABASES)('sign-in and registration throttles (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    // MariaDB runs with the Redis-backed counters (as a production setup would), SQLite with memory.
    t = await buildTestApp({
      db,
      env: REAL_LIMITS,
      redis: db === 'mysql' && Boolean(process.env.TEST_REDIS_URL),
    });
  });
  afterAll(() => t.close());

  describe('POST /login across user names', () => {
    it(`refuses the ${ADDRESS_FAILURES_ALLOWED + 1}st name from one address with 429, also for a right password`, async () => {
      const { user, password } = await buildUser(t);
      const { post } = await formAgent(t, '/login', '198.51.100.20');
      for (let i = 0; i < ADDRESS_FAILURES_ALLOWED; i += 1)
        await post({ username: uniqueName('guess'), password: 'not-the-password' }, 401);
      const refused = await post({ username: user.username, password }, 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
      expect(refused.text).toContain('<h1>Sign in</h1>');
      expect(refused.text).toMatch(
        /Too many failed sign-ins from your address\. Try again in \d+ minutes\./,
      );
      // The token endpoint shares the address budget.
      const api = await request(t.server)
        .post('/api/auth/token')
        .set('X-Forwarded-For', '198.51.100.20')
        .send({ username: user.username, password })
        .expect(429);
      expect(api.body.detail).toMatch(/^Too many failed sign-ins from your address\./);
      // Another address is not affected.
      const other = await formAgent(t, '/login', '198.51.100.21');
      await other.post({ username: user.username, password }, 303);
    });

    it('counts only failures: right passwords do not spend the address budget', async () => {
      const { user, password } = await buildUser(t);
      const { post } = await formAgent(t, '/login', '198.51.100.30');
      for (let i = 0; i < ADDRESS_FAILURES_ALLOWED - 1; i += 1)
        await post({ username: uniqueName('guess'), password: 'not-the-password' }, 401);
      for (let i = 0; i < 3; i += 1) await post({ username: user.username, password }, 303);
      await post({ username: uniqueName('guess'), password: 'not-the-password' }, 401);
      await post({ username: uniqueName('guess'), password: 'not-the-password' }, 429);
    });

    it('limits POST /api/auth/token across names the same way', async () => {
      const token = (username: string) =>
        request(t.server)
          .post('/api/auth/token')
          .set('X-Forwarded-For', '198.51.100.40')
          .send({ username, password: 'not-the-password' });
      for (let i = 0; i < ADDRESS_FAILURES_ALLOWED; i += 1)
        await token(uniqueName('api')).expect(401);
      const refused = await token(uniqueName('api')).expect(429);
      expect(refused.type).toBe('application/problem+json');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('POST /register', () => {
    it(`keeps "That username is taken" but answers 429 after ${REGISTRATIONS_ALLOWED} attempts from one address`, async () => {
      const { user } = await buildUser(t);
      const { post } = await formAgent(t, '/register', '203.0.113.50');
      const fields = (username: string) => ({
        username,
        password: 'long enough password',
        confirm: 'long enough password',
      });
      const taken = await post(fields(user.username), 422);
      expect(taken.text).toContain('That username is taken.');
      for (let i = 1; i < REGISTRATIONS_ALLOWED; i += 1) await post(fields(uniqueName('new')), 303);
      const refused = await post(fields(user.username), 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
      expect(refused.text).toMatch(
        /Too many new accounts from your address\. Try again in (1 hour|\d+ minutes)\./,
      );
      expect(refused.text).not.toContain('That username is taken.');
      expect(refused.text).toMatch(/<form method="post" action="\/register"/);
      const name = uniqueName('late');
      await post(fields(name), 429);
      expect(await t.deps.models.User.count({ where: { username: name } })).toBe(0);
      // Another address may still register.
      const other = await formAgent(t, '/register', '203.0.113.51');
      await other.post(fields(name), 303);
    });
  });
});

describe('password hashing under a burst (production scrypt cost)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ deps: { hashParams: DEFAULT_HASH_PARAMS } });
  });
  afterAll(() => t.close());

  it('answers the excess 503 with Retry-After and keeps serving GET /login meanwhile', async () => {
    const burst = 3 * (HASHING.atOnce + HASHING.waiting);
    const finished: string[] = [];
    const attempts = Array.from({ length: burst }, (_, i) =>
      request(t.server)
        .post('/api/auth/token')
        .send({ username: `nobody_${i}`, password: 'not-the-password' })
        .then((res) => {
          finished.push('sign-in');
          return res;
        }),
    );
    // Let the burst reach the server, then ask for a page while its hashes run.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const page = request(t.server)
      .get('/login')
      .then((res) => {
        finished.push('page');
        return res;
      });
    const [results, login] = await Promise.all([Promise.all(attempts), page]);
    expect(login.status).toBe(200);
    // The page did not wait for the queued hashes: it came back before the last sign-in did.
    expect(finished.indexOf('page')).toBeLessThan(finished.length - 1);
    const statuses = results.map((res) => res.status);
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
    const busy = results.filter((res) => res.status === 503);
    expect(busy.length).toBeGreaterThanOrEqual(burst - (HASHING.atOnce + HASHING.waiting));
    for (const res of busy) {
      expect(res.headers['retry-after']).toBe(String(HASHING.retryAfterSeconds));
      expect(res.body.detail).toBe('Depot is busy checking other passwords right now.');
    }
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(
      HASHING.atOnce,
    );
  });

  it('shows the sign-in form with 503 and Retry-After to a page sign-in refused for a busy queue', async () => {
    const agent = request.agent(t.server);
    const csrf = csrfFrom((await agent.get('/login').expect(200)).text);
    const burst = 3 * (HASHING.atOnce + HASHING.waiting);
    const results = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrf, username: `nobody_page_${i}`, password: 'not-the-password' }),
      ),
    );
    const busy = results.filter((res) => res.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0].headers['retry-after']).toBe(String(HASHING.retryAfterSeconds));
    expect(busy[0].text).toContain('<h1>Sign in</h1>');
    expect(busy[0].text).toContain(
      'Depot is busy checking other passwords. Try again in 2 seconds.',
    );
    expect(results.every((res) => res.status === 401 || res.status === 503)).toBe(true);
  });
});
