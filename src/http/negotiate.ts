import type { Context } from 'koa';

/** True when the client should get JSON (problem details) rather than a page. */
export function wantsJson(ctx: Context): boolean {
  if (ctx.path === '/api' || ctx.path.startsWith('/api/')) return true;
  const accept = ctx.get('Accept');
  if (!accept) return false;
  return ctx.accepts(['html', 'json']) === 'json';
}
