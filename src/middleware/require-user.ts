import type { Middleware } from 'koa';

/** Pages: guests are sent to sign in (303 to /login?next=...) and come back afterwards. */
export function requireUser(): Middleware {
  return async function requireUser(ctx, next) {
    if (ctx.state.user) return next();
    const next_ =
      ctx.method === 'GET'
        ? ctx.originalUrl
        : ctx.get('Referer')
          ? new URL(ctx.get('Referer'), 'http://x').pathname
          : '/files';
    ctx.status = 303;
    ctx.redirect(`/login?next=${encodeURIComponent(next_)}`);
  };
}
