import type { Context, Middleware } from 'koa';

/** Where to come back to after signing in: this page for GET/HEAD, the page the form was on otherwise. */
function returnPath(ctx: Context): string {
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return ctx.originalUrl;
  try {
    // Only the path of the referring page: /login runs it through safeNext anyway.
    const referer = ctx.get('Referer');
    return referer ? new URL(referer).pathname : '/files';
  } catch {
    return '/files';
  }
}

/** Pages: guests are sent to sign in (303 to /login?next=...) and come back afterwards. */
export function requireUser(): Middleware {
  return async function requireUser(ctx, next) {
    if (ctx.state.user) {
      await next();
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/login?next=${encodeURIComponent(returnPath(ctx))}`);
  };
}
