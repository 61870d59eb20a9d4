import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import session from 'koa-session';
import type { SessionStore } from '../repositories/sessions';

export const SESSION_COOKIE = 'depot.sid';

/** koa-session with a server-side store: the cookie only names the session, signed with APP_KEYS. */
export function sessions(
  app: Koa,
  store: SessionStore,
  options: { ttlMs: number; keyPrefix: string },
): Middleware {
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
      genid: () => `${options.keyPrefix}${randomBytes(24).toString('base64url')}`,
    },
    app,
  );
}
