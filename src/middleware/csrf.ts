import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { Forbidden } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session's CSRF token, created on first use (forms embed it as the hidden `_csrf` field). */
export function csrfToken(ctx: Context): string {
  if (!ctx.session) throw new Error('csrfToken needs a session');
  if (typeof ctx.session.csrf !== 'string')
    ctx.session.csrf = randomBytes(32).toString('base64url');
  return ctx.session.csrf as string;
}

function sameToken(expected: unknown, given: unknown): boolean {
  if (typeof expected !== 'string' || typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request presents: form field, X-CSRF-Token header, or (multipart forms only) the query. */
function presentedToken(ctx: Context): unknown {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  if (body && typeof body._csrf === 'string') return body._csrf;
  const header = ctx.get('X-CSRF-Token');
  if (header) return header;
  // Multipart bodies are read after this check (streamed to storage), so upload forms put the token in the URL.
  if (ctx.is('multipart/form-data')) return ctx.query._csrf;
  return undefined;
}

/** True when an unsafe request carries the session's token. */
export function hasValidCsrfToken(ctx: Context): boolean {
  return sameToken(ctx.session?.csrf, presentedToken(ctx));
}

/** Refuses state-changing page requests without the session's token (403, nothing changes). */
export function csrfProtection(): Middleware {
  return async function csrfProtection(ctx, next) {
    if (!SAFE_METHODS.has(ctx.method) && !hasValidCsrfToken(ctx)) {
      throw new Forbidden(
        'The form has expired or did not come from Depot. Reload the page and try again.',
      );
    }
    await next();
  };
}
