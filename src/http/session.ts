import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import session from 'koa-session';
import type { SessionStore } from './session-store';

const SESSION_COOKIE = 'depot.sid';

const ID_BYTES = 24;
const POOL_IDS = 256;

/**
 * A source of 24 random bytes, base64url. koa-session makes an id for every request without a session
 * cookie (downloads, guests; most are never saved), and one randomBytes call each cost ~30 µs under
 * load: ids are cut from a pooled CSPRNG buffer instead, each byte used once. One pool per app.
 */
function randomIds(): () => string {
  let pool = Buffer.alloc(0);
  let used = 0;
  return function randomId() {
    if (used + ID_BYTES > pool.length) {
      pool = randomBytes(ID_BYTES * POOL_IDS);
      used = 0;
    }
    used += ID_BYTES;
    return pool.toString('base64url', used - ID_BYTES, used);
  };
}

/** koa-session with a server-side store: the cookie only names the session, signed with APP_KEYS. */
export function sessions(
  app: Koa,
  store: SessionStore,
  options: { ttlMs: number; keyPrefix: string },
): Middleware {
  const randomId = randomIds();
  return session(
    {
      key: SESSION_COOKIE,
      maxAge: options.ttlMs,
      httpOnly: true,
      signed: true,
      sameSite: 'lax',
      // `secure` left unset: the cookies library marks the cookie Secure exactly when the request is https.
      rolling: false,
      renew: true,
      store,
      genid: () => `${options.keyPrefix}${randomId()}`,
    },
    app,
  );
}

/**
 * The parts of koa-session's Session object we use. Its values come back from the store as JSON, so each
 * is `unknown` until the code that reads it checks it.
 */
export interface SessionObject {
  [key: string]: unknown;
  toJSON(): Record<string, unknown>;
  regenerate(): Promise<void>;
}

/**
 * Empties the session, keeps only `keep`, and moves it to a new id: the old id is destroyed in the store,
 * so a copied or planted cookie stops working. Used at sign-in, sign-out and for stale sessions.
 */
export async function renewSession(
  ctx: Context,
  keep: Record<string, unknown> = {},
): Promise<void> {
  const session = ctx.session;
  if (!session) return;
  for (const key of Object.keys(session.toJSON())) delete session[key];
  Object.assign(session, keep);
  await session.regenerate();
}
