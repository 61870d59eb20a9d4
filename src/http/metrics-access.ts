import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { Unauthorized } from '../errors';

const messages = {
  token: 'Send the metrics token as Authorization: Bearer <METRICS_TOKEN>.',
};

/**
 * Whether the TCP peer itself is this machine. Only the socket counts, never X-Forwarded-For: and a
 * request that names a forwarding client came through a proxy on this machine for someone else.
 */
function isLoopbackClient(ctx: Context): boolean {
  if (ctx.get('X-Forwarded-For') || ctx.get('Forwarded')) return false;
  const address = ctx.req.socket.remoteAddress ?? '';
  const ipv4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return ipv4.startsWith('127.') || address === '::1';
}

/** Constant-time equality of two strings of any length (both are hashed to 32 bytes first). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerToken(ctx: Context): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('Authorization'));
  return match ? match[1] : null;
}

/**
 * Lets loopback clients, or anyone presenting METRICS_TOKEN as a bearer token, through to /metrics.
 * Without a token configured others get the same 404 as a missing page (nothing to authenticate
 * against); with one, 401 and a Bearer challenge, so a scraper with a wrong token says so.
 */
export function metricsAccess(options: { token: string | null }): Middleware {
  return async function metricsAccess(ctx, next) {
    const presented = bearerToken(ctx);
    const allowed =
      isLoopbackClient(ctx) ||
      (options.token !== null && presented !== null && sameSecret(presented, options.token));
    if (allowed) {
      await next();
      return;
    }
    if (options.token === null) return; // no body: the error handler answers its usual 404
    throw new Unauthorized(messages.token, {
      headers: { 'WWW-Authenticate': 'Bearer realm="depot-metrics"' },
    });
  };
}
