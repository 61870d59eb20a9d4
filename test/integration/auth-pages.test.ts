import request from 'supertest';
import { buildTestApp, type TestApp } from '../helpers/app';
import { buildUser, csrfFrom, signedInAgent, uniqueName } from '../helpers/agents';
import { cookieValue, sessionCookieHeader, setCookieLine } from '../helpers/cookies';
import { DATABASES } from '../helpers/databases';
import type { User } from '../../src/features/accounts/users-repository';

const PASSWORD = 'correct horse battery';

/** The user's stored sign-in events, after the fire-and-forget writes have landed. */
async function signinEvents(t: TestApp, user: User) {
  await t.deps.activity.flush();
  const page = await t.deps.activity.listForUser(user, 1, 100);
  return page.items.filter((event) => event.type === 'signin');
}

/** A fresh browser: an agent that has loaded `path` (a page with a form) and its CSRF token. */
async function openForm(t: TestApp, path = '/login') {
  const agent = request.agent(t.server);
  const page = await agent.get(path).expect(200);
  return { agent, csrf: csrfFrom(page.text), page };
}

/** Signs in through the real form; returns the POST response. */
async function signIn(t: TestApp, username: string, password: string, extra: object = {}) {
  const { agent, csrf, page } = await openForm(t);
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrf, username, password, ...extra });
  return { agent, res, formPage: page };
}

describe.each(DATABASES)('account pages (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ db });
  });
  afterAll(() => t.close());

  const userCount = () => t.deps.models.User.count();
  const sessionRow = (sid: string) => t.deps.models.Session.findByPk(sid);

  describe('GET/POST /register', () => {
    it('shows a labelled form with a CSRF field', async () => {
      const res = await request(t.server).get('/register').expect(200);
      expect(res.text).toContain('<label for="f-username">');
      expect(res.text).toContain('<label for="f-password">');
      expect(res.text).toContain('<label for="f-confirm">');
      expect(csrfFrom(res.text)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('creates the account (lower-cased name, scrypt hash), signs in and greets with a flash', async () => {
      const { agent, csrf } = await openForm(t, '/register');
      const name = uniqueName('New');
      const res = await agent
        .post('/register')
        .type('form')
        .send({ _csrf: csrf, username: name, password: PASSWORD, confirm: PASSWORD })
        .expect(303);
      expect(res.headers.location).toBe('/files');
      const row = await t.deps.models.User.findOne({ where: { username: name.toLowerCase() } });
      expect(row).not.toBeNull();
      expect(row!.passwordHash).toMatch(/^scrypt\$10\$8\$1\$/);
      expect(row!.passwordHash).not.toContain(PASSWORD);
      const page = await agent.get('/account').expect(200);
      expect(page.text).toContain(`Welcome to Depot, ${name.toLowerCase()}!`);
      expect(page.text).toContain('data-testid="current-user"');
    });

    it('refuses a username taken in any letter case, with the error beside the field and the name kept', async () => {
      const { user } = await buildUser(t);
      const before = await userCount();
      const { agent, csrf } = await openForm(t, '/register');
      const res = await agent
        .post('/register')
        .type('form')
        .send({
          _csrf: csrf,
          username: user.username.toUpperCase(),
          password: PASSWORD,
          confirm: PASSWORD,
        })
        .expect(422);
      expect(res.text).toMatch(/id="e-username">That username is taken\.</);
      expect(res.text).toContain(`value="${user.username.toUpperCase()}"`);
      expect(res.text).not.toContain(PASSWORD);
      expect(await userCount()).toBe(before);
    });

    it.each([
      [
        'a weak password',
        { password: 'short', confirm: 'short' },
        'password',
        'Use at least 8 characters.',
      ],
      [
        'a mismatched confirmation',
        { password: PASSWORD, confirm: `${PASSWORD}!` },
        'confirm',
        'The passwords do not match.',
      ],
      [
        'a username with bad characters',
        { username: 'no spaces!', password: PASSWORD, confirm: PASSWORD },
        'username',
        'Use 3 to 32 characters',
      ],
      [
        'a too short username',
        { username: 'ab', password: PASSWORD, confirm: PASSWORD },
        'username',
        'Use 3 to 32 characters',
      ],
      ['an empty form', { username: '', password: '', confirm: '' }, 'username', 'Required.'],
    ])(
      'refuses %s: 422, error beside the field, password never echoed, nothing stored',
      async (_label, fields, field, message) => {
        const before = await userCount();
        const { agent, csrf } = await openForm(t, '/register');
        const username = uniqueName('keepme');
        const res = await agent
          .post('/register')
          .type('form')
          .send({ _csrf: csrf, username, ...fields })
          .expect(422);
        expect(res.text).toContain(`id="e-${field}">${message}`);
        expect(res.text).toContain(`aria-describedby="e-${field}"`);
        const kept = (fields as { username?: string }).username ?? username;
        if (kept) expect(res.text).toContain(`value="${kept}"`);
        if (fields.password) expect(res.text).not.toContain(`value="${fields.password}"`);
        expect(res.text).not.toContain(PASSWORD);
        expect(await userCount()).toBe(before);
      },
    );

    it('handles simultaneous sign-ups: different names all succeed, the same name once', async () => {
      const forms = await Promise.all(Array.from({ length: 4 }, () => openForm(t, '/register')));
      const shared = uniqueName('same');
      const names = [uniqueName('par'), uniqueName('par'), shared, shared];
      const results = await Promise.all(
        forms.map(({ agent, csrf }, i) =>
          agent
            .post('/register')
            .type('form')
            .send({ _csrf: csrf, username: names[i], password: PASSWORD, confirm: PASSWORD }),
        ),
      );
      expect(results.slice(0, 2).map((res) => res.status)).toEqual([303, 303]);
      expect(
        results
          .slice(2)
          .map((res) => res.status)
          .sort(),
      ).toEqual([303, 422]);
      expect(await t.deps.models.User.count({ where: { username: shared } })).toBe(1);
    });

    it('makes the first registered user an admin and later ones plain users', async () => {
      const fresh = await buildTestApp({ db });
      try {
        for (const name of ['first_user', 'second_user']) {
          const { agent, csrf } = await openForm(fresh, '/register');
          await agent
            .post('/register')
            .type('form')
            .send({ _csrf: csrf, username: name, password: PASSWORD, confirm: PASSWORD })
            .expect(303);
        }
        const rows = await fresh.deps.models.User.findAll({ order: [['username', 'ASC']] });
        expect(rows.map((row) => [row.username, row.role])).toEqual([
          ['first_user', 'admin'],
          ['second_user', 'user'],
        ]);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('POST /login and /logout', () => {
    it('refuses a wrong password with 401, keeps the username, never echoes the password', async () => {
      const { user } = await buildUser(t);
      const { res } = await signIn(t, user.username, 'wrong password 123');
      expect(res.status).toBe(401);
      expect(res.text).toContain('The username or password is wrong.');
      expect(res.text).toContain(`value="${user.username}"`);
      expect(res.text).not.toContain('wrong password 123');
    });

    it('refuses an unknown username exactly like a wrong password', async () => {
      const { res } = await signIn(t, uniqueName('ghost'), PASSWORD);
      expect(res.status).toBe(401);
      expect(res.text).toContain('The username or password is wrong.');
    });

    it('signs in (any letter case), flashes, and the layout shows the user and a sign-out button', async () => {
      const { user } = await buildUser(t);
      const { agent, res } = await signIn(t, user.username.toUpperCase(), PASSWORD);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/files');
      const page = await agent.get('/account').expect(200);
      expect(page.text).toContain(`Signed in as ${user.username}.`);
      expect(page.text).toMatch(new RegExp(`data-testid="current-user"[^>]*>${user.username}<`));
      expect(page.text).toMatch(
        /<form method="post" action="\/logout"[^>]*>\s*<input type="hidden" name="_csrf"/,
      );
      // The flash is shown once.
      const again = await agent.get('/account').expect(200);
      expect(again.text).not.toContain('Signed in as');
    });

    it('logs neither the password nor the session id', async () => {
      const { user } = await buildUser(t, { password: 'a password to never log' });
      const { res } = await signIn(t, user.username, 'a password to never log');
      await signIn(t, user.username, 'a wrong password to never log');
      const logs = JSON.stringify(t.logs);
      expect(logs).not.toContain('password to never log');
      expect(logs).not.toContain(cookieValue(res, 'depot.sid')!.slice(5));
    });

    it('records a signin activity event with the IP and user agent', async () => {
      const { user } = await buildUser(t);
      const agent = request.agent(t.server);
      const form = await agent.get('/login').set('User-Agent', 'depot-test-browser');
      await agent
        .post('/login')
        .set('User-Agent', 'depot-test-browser')
        .type('form')
        .send({ _csrf: csrfFrom(form.text), username: user.username, password: PASSWORD })
        .expect(303);
      const events = await signinEvents(t, user);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        userId: user.id,
        userName: user.username,
        userAgent: 'depot-test-browser',
        ip: expect.stringContaining('127.0.0.1'),
      });
    });

    it('signs out: destroys the server-side session, so the old cookie no longer works', async () => {
      const { user } = await buildUser(t);
      const { agent, res } = await signIn(t, user.username, PASSWORD);
      const oldCookie = sessionCookieHeader(res);
      const sid = cookieValue(res, 'depot.sid')!;
      expect(await sessionRow(sid)).not.toBeNull();
      const page = await agent.get('/account').expect(200);
      const out = await agent
        .post('/logout')
        .type('form')
        .send({ _csrf: csrfFrom(page.text) })
        .expect(303);
      expect(out.headers.location).toBe('/');
      expect(await sessionRow(sid)).toBeNull();
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain('You have signed out.');
      expect(home.text).not.toContain('data-testid="current-user"');
      // Replaying the copied cookie: a guest now.
      const replay = await request(t.server).get('/account').set('Cookie', oldCookie).expect(303);
      expect(replay.headers.location).toBe('/login?next=%2Faccount');
    });

    it('refuses to sign out without the CSRF token (403) and stays signed in', async () => {
      const { agent } = await signedInAgent(t);
      await agent.post('/logout').type('form').send({}).expect(403);
      await agent.get('/account').expect(200);
    });

    it('keeps the session across an app restart (sessions live in the SQL database)', async () => {
      const { user } = await buildUser(t);
      const { res } = await signIn(t, user.username, PASSWORD);
      const cookie = sessionCookieHeader(res);
      t = await t.restart();
      const page = await request(t.server).get('/account').set('Cookie', cookie).expect(200);
      expect(page.text).toContain(`>${user.username}<`);
    });
  });

  describe('session cookie', () => {
    it('changes the session id at sign-in (no fixation) and forgets the old one', async () => {
      const { user } = await buildUser(t);
      const { agent, csrf, page } = await openForm(t);
      const guestSid = cookieValue(page, 'depot.sid');
      expect(guestSid).toBeDefined();
      const guestCookie = sessionCookieHeader(page);
      const res = await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, username: user.username, password: PASSWORD })
        .expect(303);
      const signedInSid = cookieValue(res, 'depot.sid');
      expect(signedInSid).toBeDefined();
      expect(signedInSid).not.toBe(guestSid);
      expect(await sessionRow(guestSid!)).toBeNull();
      // A planted (pre-sign-in) cookie does not ride along into the account.
      await request(t.server).get('/account').set('Cookie', guestCookie).expect(303);
      // And the CSRF token changed with it.
      const after = await agent.get('/account').expect(200);
      expect(csrfFrom(after.text)).not.toBe(csrf);
    });

    it('is signed, httpOnly, SameSite=Lax, and not Secure over plain http', async () => {
      const { page } = await openForm(t);
      const line = setCookieLine(page, 'depot.sid')!;
      expect(line).toMatch(/; path=\//);
      expect(line).toMatch(/; httponly/i);
      expect(line).toMatch(/; samesite=lax/i);
      expect(line).not.toMatch(/; secure/i);
      expect(line).toMatch(/; expires=/);
      expect(setCookieLine(page, 'depot.sid.sig')).toBeDefined();
    });

    it('ignores X-Forwarded-Proto unless TRUST_PROXY is set', async () => {
      const res = await request(t.server).get('/login').set('X-Forwarded-Proto', 'https');
      expect(setCookieLine(res, 'depot.sid')).not.toMatch(/; secure/i);
    });

    it('refuses a session cookie whose signature does not match', async () => {
      const { user } = await buildUser(t);
      const { res } = await signIn(t, user.username, PASSWORD);
      const sid = cookieValue(res, 'depot.sid');
      const forged = `depot.sid=${sid}; depot.sid.sig=AAAAAAAAAAAAAAAAAAAAAAAAAAA`;
      await request(t.server).get('/account').set('Cookie', forged).expect(303);
    });
  });

  describe('CSRF', () => {
    const attempt = async (token: (own: string, other: string) => string | undefined) => {
      const { agent, csrf } = await openForm(t, '/register');
      const other = await openForm(t, '/register');
      const before = await userCount();
      const username = uniqueName('csrf');
      const body: Record<string, string> = { username, password: PASSWORD, confirm: PASSWORD };
      const value = token(csrf, other.csrf);
      if (value !== undefined) body._csrf = value;
      const res = await agent.post('/register').type('form').send(body);
      return { res, before, username };
    };

    it.each([
      ['missing', () => undefined],
      ['wrong', () => 'x'.repeat(43)],
      ['empty', () => ''],
      ["another session's", (_own: string, other: string) => other],
    ])('answers 403 to a %s token and changes nothing', async (_label, token) => {
      const { res, before, username } = await attempt(token);
      expect(res.status).toBe(403);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('did not come from Depot');
      expect(await userCount()).toBe(before);
      expect(await t.deps.models.User.findOne({ where: { username } })).toBeNull();
    });

    it('refuses a sign-in POST without a session at all (login CSRF)', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .post('/login')
        .type('form')
        .send({ username: user.username, password: PASSWORD })
        .expect(403);
      expect(setCookieLine(res, 'depot.sid')).toBeUndefined();
    });
  });

  describe('open redirects', () => {
    it.each([
      '//evil.example',
      'https://evil.example',
      'http://evil.example/files',
      '/\\evil.example',
      'javascript:alert(1)',
      '%2F%2Fevil.example',
      '/%2F%2Fevil.example',
      '/..//evil.example',
      '/%2e%2e//evil.example',
      '/\t/evil.example',
    ])('sends next=%j to /files after sign-in', async (next) => {
      const { user } = await buildUser(t);
      const form = await request(t.server)
        .get(`/login?next=${encodeURIComponent(next)}`)
        .expect(200);
      expect(form.text).toContain('name="next" value="/files"');
      const { res } = await signIn(t, user.username, PASSWORD, { next });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/files');
    });

    it('returns to a same-site next with its query', async () => {
      const { user } = await buildUser(t);
      const { res } = await signIn(t, user.username, PASSWORD, { next: '/files/abc?sort=name' });
      expect(res.headers.location).toBe('/files/abc?sort=name');
    });
  });

  describe('requireUser', () => {
    it('sends a guest to /login?next= and back after signing in', async () => {
      const res = await request(t.server).get('/account?tab=password').expect(303);
      expect(res.headers.location).toBe('/login?next=%2Faccount%3Ftab%3Dpassword');
      const form = await request(t.server).get(res.headers.location).expect(200);
      expect(form.text).toContain('name="next" value="/account?tab=password"');
      const { user } = await buildUser(t);
      const signed = await signIn(t, user.username, PASSWORD, { next: '/account?tab=password' });
      expect(signed.res.headers.location).toBe('/account?tab=password');
    });
  });

  describe('requireUser on a form post', () => {
    it('returns to the page the form was on, and survives a malformed Referer', async () => {
      const { agent, csrf } = await openForm(t);
      const post = (referer: string) =>
        agent.post('/account/password').set('Referer', referer).type('form').send({ _csrf: csrf });
      const fromPage = await post('http://127.0.0.1/account?x=1').expect(303);
      expect(fromPage.headers.location).toBe('/login?next=%2Faccount');
      const broken = await post('http://[not a url').expect(303);
      expect(broken.headers.location).toBe('/login?next=%2Ffiles');
    });
  });

  describe('rate limit on sign-in', () => {
    it('allows 10 failures per IP+username, then answers 429 with Retry-After (page and problem), even to the right password', async () => {
      const { user } = await buildUser(t);
      const { agent, csrf } = await openForm(t);
      for (let i = 0; i < 10; i += 1) {
        await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrf, username: user.username, password: `wrong-${i}-password` })
          .expect(401);
      }
      const page = await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, username: user.username, password: PASSWORD })
        .expect(429);
      expect(page.type).toBe('text/html');
      const retryAfter = Number(page.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(page.text).toContain('Too many attempts');
      // The API token endpoint shares the budget and answers a problem.
      const api = await request(t.server)
        .post('/api/auth/token')
        .send({ username: user.username, password: PASSWORD })
        .expect(429);
      expect(api.type).toBe('application/problem+json');
      expect(api.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
      expect(Number(api.headers['retry-after'])).toBeGreaterThan(0);
      // Another username from the same IP is not affected.
      const { user: other } = await buildUser(t);
      const { res } = await signIn(t, other.username, PASSWORD);
      expect(res.status).toBe(303);
    });

    it('counts parallel guesses too: of 14 at once, exactly 10 are checked', async () => {
      const { user } = await buildUser(t);
      const { agent, csrf } = await openForm(t);
      const results = await Promise.all(
        Array.from({ length: 14 }, (_, i) =>
          agent
            .post('/login')
            .type('form')
            .send({ _csrf: csrf, username: user.username, password: `parallel-${i}-guess` }),
        ),
      );
      const statuses = results.map((res) => res.status).sort();
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    });

    it('forgets earlier failures after a successful sign-in', async () => {
      const { user } = await buildUser(t);
      for (let i = 0; i < 9; i += 1) {
        expect((await signIn(t, user.username, 'not-the-password')).res.status).toBe(401);
      }
      expect((await signIn(t, user.username, PASSWORD)).res.status).toBe(303);
      for (let i = 0; i < 9; i += 1) {
        expect((await signIn(t, user.username, 'not-the-password')).res.status).toBe(401);
      }
    });
  });

  describe('GET/POST /account (password change)', () => {
    it('refuses a wrong current password and a weak new one, with errors beside the fields', async () => {
      const { agent, csrf, user } = await signedInAgent(t);
      const before = await t.deps.models.User.findByPk(user.id);
      const res = await agent
        .post('/account/password')
        .type('form')
        .send({ _csrf: csrf, current: 'not it at all', password: 'short', confirm: 'short' })
        .expect(422);
      expect(res.text).toContain('id="e-current">The current password is wrong.');
      expect(res.text).toContain('id="e-password">Use at least 8 characters.');
      expect(res.text).not.toContain('not it at all');
      const after = await t.deps.models.User.findByPk(user.id);
      expect(after!.passwordHash).toBe(before!.passwordHash);
      expect(after!.tokenVersion).toBe(before!.tokenVersion);
    });

    it('needs the CSRF token', async () => {
      const { agent, password } = await signedInAgent(t);
      await agent
        .post('/account/password')
        .type('form')
        .send({ current: password, password: 'brand new password', confirm: 'brand new password' })
        .expect(403);
    });

    it('changes the password, keeps this browser signed in and signs out the others', async () => {
      const { agent, csrf, user, password } = await signedInAgent(t);
      const other = await signedInAgent(t, { username: user.username, password });
      const res = await agent
        .post('/account/password')
        .type('form')
        .send({
          _csrf: csrf,
          current: password,
          password: 'brand new password',
          confirm: 'brand new password',
        })
        .expect(303);
      expect(res.headers.location).toBe('/account');
      const page = await agent.get('/account').expect(200);
      expect(page.text).toContain('Your password was changed.');
      // The other browser is a guest now, and its pages still render (no crash on the dropped session).
      await other.agent.get('/account').expect(303);
      const login = await other.agent.get('/login').expect(200);
      expect(login.text).not.toContain('data-testid="current-user"');
      expect((await signIn(t, user.username, password)).res.status).toBe(401);
      expect((await signIn(t, user.username, 'brand new password')).res.status).toBe(303);
    });
  });
});

describe.each(DATABASES)('account pages behind a trusted proxy (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ db, env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => t.close());

  it('marks the session cookie Secure when the proxy says https', async () => {
    const res = await request(t.server).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
    expect(setCookieLine(res, 'depot.sid')).toMatch(/; secure/i);
    expect(setCookieLine(res, 'depot.sid')).toMatch(/; samesite=lax/i);
  });

  it('counts failures per client IP (X-Forwarded-For) and username', async () => {
    const { user } = await buildUser(t);
    const agent = request.agent(t.server);
    const form = await agent.get('/login').expect(200);
    const csrf = csrfFrom(form.text);
    const from = (ip: string, password: string) =>
      agent
        .post('/login')
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ _csrf: csrf, username: user.username, password });
    for (let i = 0; i < 10; i += 1)
      expect((await from('203.0.113.7', 'wrong one!')).status).toBe(401);
    expect((await from('203.0.113.7', 'wrong one!')).status).toBe(429);
    expect((await from('198.51.100.9', 'wrong one!')).status).toBe(401);
    expect((await from('198.51.100.9', PASSWORD)).status).toBe(303);
  });
});
