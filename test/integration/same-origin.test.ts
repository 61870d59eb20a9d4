import request from 'supertest';
import { bearer, buildUser, csrfFrom, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { storeFile } from '../helpers/stored-files';
import { TUS } from '../helpers/tus';

const EVIL = 'https://evil.example';

describe.each(DATABASES)('Origin checks and absolute URLs (%s)', (db) => {
  describe('without PUBLIC_URL', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ db });
    });
    afterAll(() => t.close());

    /** A sign-in form post with a valid CSRF token and these extra headers; expects `status`. */
    async function signIn(headers: Record<string, string>, status: number) {
      const { user, password } = await buildUser(t);
      const agent = request.agent(t.server);
      const csrf = csrfFrom((await agent.get('/login').expect(200)).text);
      return agent
        .post('/login')
        .set(headers)
        .type('form')
        .send({ _csrf: csrf, username: user.username, password })
        .expect(status);
    }

    it('refuses a page form from another site with 403, even with the right CSRF token', async () => {
      const res = await signIn({ Origin: EVIL }, 403);
      expect(res.text).toContain('This request came from another site.');
      await signIn({ Origin: 'null' }, 403);
      await signIn({ 'Sec-Fetch-Site': 'cross-site' }, 403);
    });

    it('accepts its own Origin, and a request with no Origin at all (old browsers, tools)', async () => {
      // supertest listens on a new port per request: name the host, as a browser would send it.
      await signIn({ Host: 'depot.test:3000', Origin: 'http://depot.test:3000' }, 303);
      // Behind a TLS proxy that is not trusted the scheme differs: the host still decides.
      await signIn({ Host: 'depot.test:3000', Origin: 'https://depot.test:3000' }, 303);
      await signIn({ Host: 'depot.test:3000', Origin: 'http://depot.test:4000' }, 403);
      await signIn({ 'Sec-Fetch-Site': 'same-origin' }, 303);
      await signIn({}, 303);
    });

    it('refuses a cookie-authenticated API write from another site, not a bearer-token one', async () => {
      const { agent, csrf, user } = await signedInAgent(t);
      const file = await storeFile(t, user, Buffer.from('x'));
      await agent
        .post(`/api/files/${file.id}/shares`)
        .set('X-CSRF-Token', csrf)
        .set('Origin', EVIL)
        .send({})
        .expect(403);
      await agent
        .post(`/api/files/${file.id}/shares`)
        .set('X-CSRF-Token', csrf)
        .send({})
        .expect(201);
      await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, user))
        .set('Origin', EVIL)
        .send({})
        .expect(201);
    });

    it('does not echo a Host that is not a plain host name into a share URL', async () => {
      const { user } = await buildUser(t);
      const file = await storeFile(t, user, Buffer.from('x'));
      const res = await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, user))
        .set('Host', 'evil.example/"><script>')
        .send({})
        .expect(201);
      expect(res.body.url).toBe(`/s/${res.body.token}`);
    });
  });

  describe('with PUBLIC_URL=https://depot.example.com', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ db, env: { PUBLIC_URL: 'https://depot.example.com/' } });
    });
    afterAll(() => t.close());

    it('builds share URLs from PUBLIC_URL, whatever Host the request forged', async () => {
      const { user } = await buildUser(t);
      const file = await storeFile(t, user, Buffer.from('x'));
      const res = await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, user))
        .set('Host', 'evil.example')
        .send({})
        .expect(201);
      expect(res.body.url).toBe(`https://depot.example.com/s/${res.body.token}`);
    });

    it('lists share links on the file page under PUBLIC_URL', async () => {
      const { agent, user } = await signedInAgent(t);
      const file = await storeFile(t, user, Buffer.from('x'));
      const share = await t.deps.shares.create(user, file.id, {});
      const page = await agent.get(`/files/${file.id}`).set('Host', 'evil.example').expect(200);
      expect(page.text).toContain(`https://depot.example.com/s/${share.token}`);
      expect(page.text).not.toContain('evil.example');
    });

    it('accepts only the PUBLIC_URL origin on forms', async () => {
      const { user, password } = await buildUser(t);
      const post = async (origin: string, status: number) => {
        const agent = request.agent(t.server);
        const csrf = csrfFrom((await agent.get('/login').expect(200)).text);
        return agent
          .post('/login')
          .set('Origin', origin)
          .type('form')
          .send({ _csrf: csrf, username: user.username, password })
          .expect(status);
      };
      await post('http://depot.example.com', 403);
      await post('https://depot.example.com', 303);
    });

    it('keeps the tus upload Location relative, never from the Host', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', bearer(t, user))
        .set('Host', 'evil.example')
        .set('Upload-Length', '10')
        .expect(201);
      expect(res.headers.location).toMatch(/^\/api\/uploads\/[A-Za-z0-9_-]+$/);
    });
  });
});

describe('PUBLIC_URL values', () => {
  const base = { NODE_ENV: 'test', APP_KEYS: 'k'.repeat(40), JWT_SECRET: 's'.repeat(40) };
  it('keeps the origin and refuses a path or another scheme', async () => {
    const { loadConfig } = await import('../../src/config');
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://Depot.example.com:8443/' }).publicUrl).toBe(
      'https://depot.example.com:8443',
    );
    expect(loadConfig(base).publicUrl).toBeNull();
    expect(() => loadConfig({ ...base, PUBLIC_URL: 'https://depot.example.com/files' })).toThrow(
      /PUBLIC_URL: must be an origin/,
    );
    expect(() => loadConfig({ ...base, PUBLIC_URL: 'ftp://depot.example.com' })).toThrow(
      /PUBLIC_URL/,
    );
  });
});
