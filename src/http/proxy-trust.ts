import type { Middleware } from 'koa';
import proxyaddr from 'proxy-addr';

const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

/**
 * TRUST_PROXY as a list of proxy addresses: ctx.ip is the first X-Forwarded-For entry from the right
 * that is not one of them (what the outermost trusted proxy saw), so entries a client wrote itself
 * never count. A request whose peer is not a trusted proxy has its forwarding headers dropped, so
 * Koa's protocol and host come from the connection, not from what that client claims.
 */
export function trustedProxyAddresses(addresses: string[]): Middleware {
  const trust = proxyaddr.compile(addresses);
  return async function trustedProxyAddresses(ctx, next) {
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (!peer || !trust(peer, 0)) {
      for (const name of FORWARDED_HEADERS) delete ctx.req.headers[name];
    }
    ctx.request.ip = proxyaddr(ctx.req, trust);
    await next();
  };
}
