import request from 'supertest';
import { FAILED_ATTEMPTS_ALLOWED } from '../../src/features/accounts/rate-limit';
import { buildUser, csrfFrom, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { storeFile } from '../helpers/stored-files';

/** In-process counters always; the Redis-backed limiter too when TEST_REDIS_URL is set. */
const LIMITERS = process.env.TEST_REDIS_URL ? ['memory', 'redis'] : ['memory'];

/** The minutes a Retry-After of `seconds` is shown as (rounded up). */
const minutesOf = (seconds: number) => Math.ceil(seconds / 60);

describe.each(LIMITERS)('429 pages keep their form and say when (%s limiter)', (limiter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ redis: limiter === 'redis' });
  });
  afterAll(() => t.close());

  describe('POST /login after too many failures', () => {
    it('shows the sign-in form again with 429, Retry-After, the name typed and when to try again', async () => {
      const { user } = await buildUser(t);
      const agent = request.agent(t.server);
      const csrf = csrfFrom((await agent.get('/login').expect(200)).text);
      const attempt = (password: string) =>
        agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrf, username: user.username, password, next: '/account' });
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1)
        await attempt(`wrong-${i}-password`).expect(401);

      const res = await attempt('correct horse battery').expect(429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(res.type).toBe('text/html');
      // The sign-in page itself, not the bare error page.
      expect(res.text).toContain('<h1>Sign in</h1>');
      expect(res.text).not.toContain('class="error-page"');
      expect(res.text).toMatch(/<form method="post" action="\/login"/);
      expect(res.text).toContain(`name="_csrf" value="${csrf}"`);
      expect(res.text).toContain(`value="${user.username}"`);
      expect(res.text).toContain('name="next" value="/account"');
      expect(res.text).toContain(
        `Too many attempts to sign in as this user from your address. Try again in ${minutesOf(retryAfter)} minutes.`,
      );
      expect(res.text).not.toMatch(/try again later/i);
      expect(res.text).not.toContain('correct horse battery');
    });

    it('does not let the right password through while refused, and leaves other names alone', async () => {
      const { user, password } = await buildUser(t);
      const other = await buildUser(t);
      const agent = request.agent(t.server);
      const csrf = csrfFrom((await agent.get('/login').expect(200)).text);
      const signIn = (username: string, secret: string) =>
        agent.post('/login').type('form').send({ _csrf: csrf, username, password: secret });
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1)
        await signIn(user.username, 'not-it-at-all').expect(401);
      await signIn(user.username, password).expect(429);
      expect((await agent.get('/files')).status).toBe(303); // still signed out
      await signIn(other.user.username, other.password).expect(303);
    });
  });

  describe('POST /s/:token after too many wrong passwords', () => {
    it('shows the password form again with 429, Retry-After and when to try again', async () => {
      const owner = await signedInAgent(t);
      const file = await storeFile(t, owner.user, Buffer.from('secret stuff'), {
        name: 'locked.txt',
      });
      const { token } = await t.deps.shares.create(owner.user, file.id, {
        password: 'open sesame',
      });
      const guest = request.agent(t.server);
      const csrf = csrfFrom((await guest.get(`/s/${token}`).expect(200)).text);
      const unlock = (password: string) =>
        guest.post(`/s/${token}`).type('form').send({ _csrf: csrf, password });
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1) await unlock(`wrong${i}`).expect(401);

      const res = await unlock('open sesame').expect(429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(res.text).toContain('This shared file is protected');
      expect(res.text).toContain(`<form method="post" action="/s/${token}"`);
      expect(res.text).toContain('name="password"');
      expect(res.text).toContain(
        `Too many attempts with a wrong password for this link. Try again in ${minutesOf(retryAfter)} minutes.`,
      );
      expect(res.text).not.toContain('class="error-page"');
      expect(res.text).not.toContain('secret stuff');
      // Still locked: the download sends the guest back to the password form.
      await guest.get(`/s/${token}/download`).expect(303);
    });
  });

  describe('POST /api/auth/token after too many failures', () => {
    it('answers a 429 problem with Retry-After that says when to try again', async () => {
      const { user } = await buildUser(t);
      const attempt = (password: string) =>
        request(t.server).post('/api/auth/token').send({ username: user.username, password });
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1)
        await attempt(`wrong-${i}-password`).expect(401);
      const res = await attempt('correct horse battery').expect(429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.detail).toBe(
        `Too many attempts. Try again in ${minutesOf(retryAfter)} minutes.`,
      );
    });
  });
});
