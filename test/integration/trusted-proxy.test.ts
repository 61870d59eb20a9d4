import request from 'supertest';
import { loadConfig } from '../../src/config';
import { FAILED_ATTEMPTS_ALLOWED } from '../../src/features/accounts/rate-limit';
import { buildUser, csrfFrom, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { storeFile } from '../helpers/stored-files';

const PROXY = '10.20.30.40';
const forwardedFor = (client: string, proxies = [PROXY]) => [client, ...proxies].join(', ');

/** Opens the sign-in form for an agent and returns its CSRF token. */
async function loginForm(agent: ReturnType<typeof request.agent>) {
  return csrfFrom((await agent.get('/login').expect(200)).text);
}

describe.each(DATABASES)('TRUST_PROXY (%s)', (db) => {
  describe('one trusted hop (TRUST_PROXY=1)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ db, env: { TRUST_PROXY: '1' } });
    });
    afterAll(() => t.close());

    it('keeps the sign-in limit when the client changes the first X-Forwarded-For entry', async () => {
      const { user, password } = await buildUser(t);
      const agent = request.agent(t.server);
      const csrf = await loginForm(agent);
      const signIn = (client: string, secret: string, proxies?: string[]) =>
        agent
          .post('/login')
          .set('X-Forwarded-For', forwardedFor(client, proxies))
          .type('form')
          .send({ _csrf: csrf, username: user.username, password: secret });
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1)
        await signIn(`198.51.100.${i + 1}`, `wrong-${i}-password`).expect(401);
      await signIn('198.51.100.200', password).expect(429);
      await signIn('203.0.113.9', password).expect(429);
      // The address the proxy saw is what counts: another one starts with a fresh budget.
      await signIn('198.51.100.1', password, ['10.20.30.41']).expect(303);
    });

    it('keeps the share-link password limit when the client changes the first entry', async () => {
      const owner = await signedInAgent(t);
      const file = await storeFile(t, owner.user, Buffer.from('shared'), { name: 'a.bin' });
      const { token } = await t.deps.shares.create(owner.user, file.id, {
        password: 'open sesame',
      });
      const guest = request.agent(t.server);
      const csrf = csrfFrom((await guest.get(`/s/${token}`).expect(200)).text);
      const unlock = (client: string, password: string) =>
        guest
          .post(`/s/${token}`)
          .set('X-Forwarded-For', forwardedFor(client))
          .type('form')
          .send({ _csrf: csrf, password });
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1)
        await unlock(`198.51.100.${i + 1}`, `wrong${i}`).expect(401);
      await unlock('192.0.2.77', 'open sesame').expect(429);
    });

    it('records the address the proxy saw in the activity of a sign-in', async () => {
      const { user, password } = await buildUser(t);
      const agent = request.agent(t.server);
      const csrf = await loginForm(agent);
      await agent
        .post('/login')
        .set('X-Forwarded-For', forwardedFor('198.51.100.1', ['192.0.2.10']))
        .type('form')
        .send({ _csrf: csrf, username: user.username, password })
        .expect(303);
      await t.deps.activity.flush();
      const { items } = await t.deps.activity.listForUser(user, 1, 10);
      expect(items.map((event) => event.ip)).toEqual(['192.0.2.10']);
    });
  });

  describe('a list of trusted proxies (TRUST_PROXY=loopback,10.0.0.0/8)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ db, env: { TRUST_PROXY: 'loopback,10.0.0.0/8' } });
    });
    afterAll(() => t.close());

    it('takes the first address from the right that is not a trusted proxy', async () => {
      const { user, password } = await buildUser(t);
      const agent = request.agent(t.server);
      const csrf = await loginForm(agent);
      const signIn = (chain: string, secret: string) =>
        agent
          .post('/login')
          .set('X-Forwarded-For', chain)
          .type('form')
          .send({ _csrf: csrf, username: user.username, password: secret });
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1)
        await signIn(`198.51.100.${i + 1}, 203.0.113.7, 10.1.1.1`, `wrong-${i}`).expect(401);
      await signIn('192.0.2.1, 203.0.113.7, 10.2.2.2', password).expect(429);
      await signIn('203.0.113.8, 10.1.1.1', password).expect(303);
    });
  });
});

describe('TRUST_PROXY values', () => {
  const base = { NODE_ENV: 'test', APP_KEYS: 'k'.repeat(40), JWT_SECRET: 's'.repeat(40) };
  const proxyOf = (value: string) => loadConfig({ ...base, TRUST_PROXY: value }).proxy;

  it('reads false, hop counts, true (deprecated: one hop) and address lists', () => {
    expect(proxyOf('false')).toEqual({ hops: 0, addresses: [], deprecatedTrue: false });
    expect(proxyOf('0').hops).toBe(0);
    expect(proxyOf('2')).toEqual({ hops: 2, addresses: [], deprecatedTrue: false });
    expect(proxyOf('true')).toEqual({ hops: 1, addresses: [], deprecatedTrue: true });
    expect(proxyOf('10.0.0.1, 172.16.0.0/12,::1').addresses).toEqual([
      '10.0.0.1',
      '172.16.0.0/12',
      '::1',
    ]);
    expect(loadConfig(base).trustProxy).toBe(false);
  });

  it.each(['maybe', '11', '10.0.0.0/99', '300.1.1.1', ','])('refuses %s, naming it', (value) => {
    expect(() => proxyOf(value)).toThrow(/TRUST_PROXY: must be false, a number of proxy hops/);
  });
});
