import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { hashPassword } from '../../src/lib/password';
import { buildTestApp, type TestApp } from '../helpers/app';
import { bearer, buildUser, signedInAgent } from '../helpers/agents';
import { DATABASES } from '../helpers/databases';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(DATABASES)('JSON API authentication (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ db });
  });
  afterAll(() => t.close());

  const secret = () => t.deps.config.jwtSecret;
  /** Signs like Depot does unless told otherwise; `withExp: false` leaves `exp` to the payload. */
  const sign = (
    payload: object,
    options: jwt.SignOptions = {},
    key: jwt.Secret = secret(),
    withExp = true,
  ) =>
    jwt.sign(payload, key, {
      algorithm: 'HS256',
      issuer: 'depot',
      audience: 'depot-api',
      ...(withExp ? { expiresIn: 600 } : {}),
      ...options,
    });
  const me = (authorization?: string) => {
    const req = request(t.server).get('/api/me');
    return authorization ? req.set('Authorization', authorization) : req;
  };

  describe('POST /api/auth/token', () => {
    it('issues a pinned HS256 token for the right password, usable on /api/me', async () => {
      const { user, password } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username.toUpperCase(), password })
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
      });
      const decoded = jwt.decode(res.body.access_token, { complete: true })!;
      expect(decoded.header.alg).toBe('HS256');
      expect(decoded.payload).toMatchObject({
        sub: user.id,
        ver: 0,
        iss: 'depot',
        aud: 'depot-api',
      });
      const claims = decoded.payload as { exp: number; iat: number };
      expect(claims.exp - claims.iat).toBe(3600);
      const profile = await me(`Bearer ${res.body.access_token}`).expect(200);
      expect(profile.body).toEqual({
        id: user.id,
        username: user.username,
        role: user.role,
        created_at: user.createdAt.toISOString(),
      });
    });

    it('moves a hash made with older scrypt parameters to the current ones at sign-in', async () => {
      const { user, password } = await buildUser(t);
      const old = await hashPassword(password, { logN: 11, r: 8, p: 1 });
      await t.deps.models.User.update({ passwordHash: old }, { where: { id: user.id } });
      await request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username, password })
        .expect(200);
      const row = await t.deps.models.User.findByPk(user.id);
      expect(row!.passwordHash).toMatch(/^scrypt\$10\$8\$1\$/);
      expect(row!.tokenVersion).toBe(user.tokenVersion);
    });

    it('accepts an urlencoded body too', async () => {
      const { user, password } = await buildUser(t);
      await request(t.server)
        .post('/api/auth/token')
        .type('form')
        .send({ username: user.username, password })
        .expect(200);
    });

    it('records a signin activity event and logs neither the password nor the token', async () => {
      const { user, password } = await buildUser(t);
      const res = await request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username, password })
        .expect(200);
      await t.deps.activity.flush();
      const { items } = await t.deps.activity.listForUser(user, 1, 100);
      expect(items.filter((event) => event.type === 'signin')).toEqual([
        expect.objectContaining({ userId: user.id, userName: user.username }),
      ]);
      const logs = JSON.stringify(t.logs);
      expect(logs).not.toContain(password);
      expect(logs).not.toContain(res.body.access_token);
    });

    it('answers 401 problem to a wrong password or an unknown user, and issues nothing', async () => {
      const { user } = await buildUser(t);
      for (const body of [
        { username: user.username, password: 'wrong password' },
        { username: 'nobody_here', password: 'wrong password' },
      ]) {
        const res = await request(t.server).post('/api/auth/token').send(body).expect(401);
        expect(res.type).toBe('application/problem+json');
        expect(res.body).toMatchObject({
          status: 401,
          detail: 'The username or password is wrong.',
        });
        expect(res.body.access_token).toBeUndefined();
      }
    });

    it('answers 422 naming each missing or non-string field', async () => {
      const missing = await request(t.server).post('/api/auth/token').send({}).expect(422);
      expect(missing.type).toBe('application/problem+json');
      expect(missing.body.errors).toEqual({ username: 'Required.', password: 'Required.' });
      const partial = await request(t.server)
        .post('/api/auth/token')
        .send({ username: 'someone', password: 12345678 })
        .expect(422);
      expect(partial.body.errors).toEqual({ password: 'Required.' });
    });

    it('answers 400 to malformed JSON and to a JSON body that is not an object', async () => {
      const broken = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .send('{"username": "a", ')
        .expect(400);
      expect(broken.type).toBe('application/problem+json');
      await request(t.server).post('/api/auth/token').send([1, 2]).expect(400);
    });
  });

  describe('bearer token failures (all 401 problems)', () => {
    let token: string;
    let userId: string;
    beforeAll(async () => {
      const { user } = await buildUser(t);
      userId = user.id;
      token = t.deps.tokens.issue(user).access_token;
    });

    const expect401 = async (authorization: string | undefined) => {
      const res = await me(authorization).expect(401);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="depot"/);
      expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
      return res;
    };

    it('no Authorization header', async () => {
      await expect401(undefined);
    });

    it.each([
      ['a non-JWT string', 'Bearer not-a-token'],
      ['three garbage segments', 'Bearer aaa.bbb.ccc'],
      ['the Basic scheme', 'Basic dXNlcjpwYXNz'],
      ['an empty bearer', 'Bearer '],
      ['extra words', 'Bearer a b'],
    ])('malformed: %s', async (_label, header) => {
      const res = await expect401(header);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('a tampered signature', async () => {
      const [h, p, s] = token.split('.');
      const flipped = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect401(`Bearer ${h}.${p}.${flipped}`);
    });

    it('a tampered payload (another user id, original signature)', async () => {
      const { user: other } = await buildUser(t);
      const [h, p, s] = token.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      await expect401(`Bearer ${h}.${b64({ ...claims, sub: other.id })}.${s}`);
    });

    it('an expired token', async () => {
      const expired = sign(
        { sub: userId, ver: 0, exp: Math.floor(Date.now() / 1000) - 5 },
        {},
        secret(),
        false,
      );
      await expect401(`Bearer ${expired}`);
    });

    it('a token without exp, even when correctly signed', async () => {
      await expect401(`Bearer ${sign({ sub: userId, ver: 0 }, {}, secret(), false)}`);
    });

    it('a wrong issuer', async () => {
      await expect401(`Bearer ${sign({ sub: userId, ver: 0 }, { issuer: 'someone-else' })}`);
    });

    it('a wrong audience', async () => {
      await expect401(`Bearer ${sign({ sub: userId, ver: 0 }, { audience: 'other-api' })}`);
    });

    it('another secret', async () => {
      const forged = sign({ sub: userId, ver: 0 }, {}, 'x'.repeat(40));
      await expect401(`Bearer ${forged}`);
    });

    it('alg: none', async () => {
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      await expect401(`Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
      await expect401(`Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}`);
      await expect401(`Bearer ${b64({ alg: 'NONE', typ: 'JWT' })}.${b64(claims)}.`);
    });

    it('HS512 with the right secret (algorithm pinned to HS256)', async () => {
      await expect401(`Bearer ${sign({ sub: userId, ver: 0 }, { algorithm: 'HS512' })}`);
    });

    it('RS256 tokens: a real RSA signature, and the public-key-as-HMAC-secret confusion', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await expect401(
        `Bearer ${sign({ sub: userId, ver: 0 }, { algorithm: 'RS256' }, privateKey)}`,
      );
      // A token that claims RS256 but is an HMAC made with material an attacker could know.
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const header = b64({ alg: 'RS256', typ: 'JWT' });
      const payload = b64({
        sub: userId,
        ver: 0,
        iss: 'depot',
        aud: 'depot-api',
        exp: Math.floor(Date.now() / 1000) + 600,
      });
      const { createHmac } = await import('node:crypto');
      for (const key of [pem, secret()]) {
        const signature = createHmac('sha256', key)
          .update(`${header}.${payload}`)
          .digest('base64url');
        await expect401(`Bearer ${header}.${payload}.${signature}`);
      }
    });

    it('a token for a user who does not exist', async () => {
      await expect401(`Bearer ${sign({ sub: 'A'.repeat(22), ver: 0 })}`);
    });

    it('a token with a wrong or missing version', async () => {
      await expect401(`Bearer ${sign({ sub: userId, ver: 7 })}`);
      await expect401(`Bearer ${sign({ sub: userId })}`);
      await expect401(`Bearer ${sign({ sub: userId, ver: '0' })}`);
    });

    it('a token in the query string is not accepted', async () => {
      await request(t.server).get(`/api/me?access_token=${token}`).expect(401);
    });
  });

  describe('POST /api/auth/revoke and password changes', () => {
    it('revoke: 204, earlier tokens die, a new token works', async () => {
      const { user, password } = await buildUser(t);
      const first = bearer(t, user);
      const second = bearer(t, user);
      await me(first).expect(200);
      await request(t.server).post('/api/auth/revoke').set('Authorization', first).expect(204);
      await me(first).expect(401);
      await me(second).expect(401);
      const row = await t.deps.models.User.findByPk(user.id);
      expect(row!.tokenVersion).toBe(user.tokenVersion + 1);
      const fresh = await request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username, password })
        .expect(200);
      await me(`Bearer ${fresh.body.access_token}`).expect(200);
    });

    it('revoke needs a caller', async () => {
      const res = await request(t.server).post('/api/auth/revoke').expect(401);
      expect(res.type).toBe('application/problem+json');
    });

    it('accounts.changePassword kills earlier tokens and other sessions; the new password works', async () => {
      const { agent, user, password } = await signedInAgent(t);
      const token = bearer(t, user);
      await me(token).expect(200);
      await agent.get('/api/me').expect(200);
      await t.deps.accounts.changePassword(user.id, 'a whole new password');
      await me(token).expect(401);
      await agent.get('/api/me').expect(401);
      await agent.get('/account').expect(303);
      await request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username, password })
        .expect(401);
      await request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username, password: 'a whole new password' })
        .expect(200);
    });
  });

  describe('session cookie on the API', () => {
    it('works for GET, but a POST needs X-CSRF-Token (401 without, and nothing changes)', async () => {
      const { agent, csrf, user } = await signedInAgent(t);
      const res = await agent.get('/api/me').expect(200);
      expect(res.body.id).toBe(user.id);
      const refused = await agent.post('/api/auth/revoke').expect(401);
      expect(refused.type).toBe('application/problem+json');
      await agent.post('/api/auth/revoke').set('X-CSRF-Token', 'wrong').expect(401);
      expect((await t.deps.models.User.findByPk(user.id))!.tokenVersion).toBe(user.tokenVersion);
      await agent.post('/api/auth/revoke').set('X-CSRF-Token', csrf).expect(204);
      expect((await t.deps.models.User.findByPk(user.id))!.tokenVersion).toBe(
        user.tokenVersion + 1,
      );
    });
  });
});
