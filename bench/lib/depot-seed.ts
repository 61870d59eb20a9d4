/** Seeds a running Depot through its own HTTP interface: a user, a session cookie, a bearer token, files. */
import { randomBytes } from 'node:crypto';

/** What the request benchmark needs from a seeded Depot. */
export interface Seeded {
  userId: string;
  cookie: string;
  token: string;
  /** Ids of the files uploaded, newest last; every one is `fileBytes` long. */
  fileIds: string[];
}

const cookiesOf = (response: Response) =>
  response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]);

/** Registers `username` through the real form (CSRF token and all); returns the signed-in session's Cookie header. */
async function register(base: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${base}/register`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const answer = await fetch(`${base}/register`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: cookiesOf(form).join('; '),
    },
    body: new URLSearchParams({ _csrf: csrf, username, password, confirm: password }),
  });
  if (answer.status !== 303) throw new Error(`registration answered ${answer.status}`);
  return cookiesOf(answer).join('; ');
}

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok)
    throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Registers a user, takes a bearer token and uploads `files` files of `fileBytes` random bytes each. */
export async function seedDepot(base: string, files: number, fileBytes: number): Promise<Seeded> {
  const username = 'bench';
  const password = 'bench password 1';
  const cookie = await register(base, username, password);
  const { access_token: token } = await json<{ access_token: string }>(
    await fetch(`${base}/api/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }),
    'POST /api/auth/token',
  );
  const auth = { Authorization: `Bearer ${token}` };
  const fileIds: string[] = [];
  for (let index = 0; index < files; index += 1) {
    const form = new FormData();
    const name = `document-${String(index).padStart(3, '0')}.txt`;
    form.append('file', new Blob([randomBytes(fileBytes)], { type: 'text/plain' }), name);
    const { items } = await json<{ items: { id: string }[] }>(
      await fetch(`${base}/api/files`, { method: 'POST', headers: auth, body: form }),
      'POST /api/files',
    );
    fileIds.push(items[0].id);
  }
  // The first page takes the registration's welcome flash: the measured session has none left.
  await (await fetch(`${base}/files`, { headers: { Cookie: cookie } })).text();
  const me = await json<{ id: string }>(
    await fetch(`${base}/api/me`, { headers: auth }),
    '/api/me',
  );
  return { userId: me.id, cookie, token, fileIds };
}
