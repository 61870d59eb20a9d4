import request from 'supertest';
import type { TestApp } from './app';
import type { User } from '../../src/features/accounts/users-repository';

let counter = 0;

/** A unique, valid username for this test run. */
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${process.pid % 10000}_${counter}`.toLowerCase();
}

/** The hidden _csrf value of the first form in an HTML page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1];
}

/** Creates a user straight through the account service (fast, no HTTP). */
export async function buildUser(
  t: TestApp,
  overrides: { username?: string; password?: string } = {},
) {
  const password = overrides.password ?? 'correct horse battery';
  const user = await t.deps.accounts.register({
    username: overrides.username ?? uniqueName(),
    password,
  });
  return { user, password };
}

/** A supertest agent with a signed-in session (through the real login form) and its CSRF token. */
export async function signedInAgent(
  t: TestApp,
  credentials?: { username: string; password: string },
) {
  const { user, password } = credentials
    ? { user: null as User | null, password: credentials.password }
    : await buildUser(t);
  const username = credentials?.username ?? user!.username;
  const agent = request.agent(t.server);
  const form = await agent.get('/login').expect(200);
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(form.text), username, password })
    .expect(303);
  const page = await agent.get('/login');
  // Signed in: any page with a form (the layout's sign-out button) carries the new session's token.
  const csrf = csrfFrom(page.text);
  const found = user ?? (await t.deps.accounts.authenticate(username, password));
  return { agent, csrf, user: found as User, password };
}

/** A valid bearer token for `user`. */
export function bearer(t: TestApp, user: User): string {
  return `Bearer ${t.deps.tokens.issue(user).access_token}`;
}
