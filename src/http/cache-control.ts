import type { Middleware } from 'koa';

/** What a response gets when its handler chose no caching of its own. */
const PRIVATE_DEFAULT = 'no-store';

/**
 * Pages and API answers depend on who is signed in (the layout's name and CSRF token, a user's files):
 * no cache, shared or the browser's, may keep them. Responses that chose their own caching keep it:
 * built assets (immutable), public/ files (an hour), downloads (validators, `private` for private files).
 * Outermost, so error pages get it too after the error handler dropped the failed response's headers.
 */
export function privateByDefault(): Middleware {
  return async function privateByDefault(ctx, next) {
    await next();
    if (!ctx.headerSent && !ctx.response.get('Cache-Control'))
      ctx.set('Cache-Control', PRIVATE_DEFAULT);
  };
}
