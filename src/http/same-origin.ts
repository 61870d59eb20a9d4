import type { Context, Middleware } from 'koa';
import { Forbidden } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** A host name, IPv4 or [IPv6] address with an optional port: anything else in Host is not echoed. */
const PLAIN_HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

const messages = {
  crossSite: 'This request came from another site. Depot accepts changes only from its own pages.',
};

/**
 * The origin absolute URLs are built from (share links): PUBLIC_URL when set; otherwise the request's
 * protocol and Host, as long as that Host is a plain host name (otherwise '', and links stay relative).
 */
function requestOrigin(ctx: Context, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  return PLAIN_HOST.test(ctx.host) ? `${ctx.protocol}://${ctx.host}` : '';
}

/** Puts the site's origin on ctx.state.siteOrigin, for whatever builds an absolute URL. */
export function siteOrigin(publicUrl: string | null): Middleware {
  return async function siteOrigin(ctx, next) {
    ctx.state.siteOrigin = requestOrigin(ctx, publicUrl);
    await next();
  };
}

/** Whether a state-changing request's Origin (or, without one, Sec-Fetch-Site) says it came from us. */
function fromOwnSite(ctx: Context, publicUrl: string | null): boolean {
  const origin = ctx.get('Origin');
  // Old browsers and tools (curl, scripts) send neither header: the CSRF token still guards them.
  if (!origin) return !['cross-site', 'same-site'].includes(ctx.get('Sec-Fetch-Site'));
  if (publicUrl) return origin.toLowerCase() === publicUrl.toLowerCase();
  // Without PUBLIC_URL only the host is compared: behind a TLS proxy not listed in TRUST_PROXY the
  // request looks like http while the browser's Origin says https, and the site is still the same.
  try {
    return new URL(origin).host.toLowerCase() === ctx.host.toLowerCase();
  } catch {
    return false; // "null" (sandboxed frames, privacy redirects) or garbage: not from our pages
  }
}

/**
 * Defence in depth behind the CSRF token: a state-changing request that a browser marks as coming from
 * another origin (`Origin`, or `Sec-Fetch-Site: cross-site`/`same-site`) is refused with 403 before
 * anything runs. `exempt` requests (bearer-token API calls, which no browser attaches by itself) pass.
 */
export function sameOriginWrites(
  publicUrl: string | null,
  exempt: (ctx: Context) => boolean = () => false,
): Middleware {
  return async function sameOriginWrites(ctx, next) {
    if (!SAFE_METHODS.has(ctx.method) && !exempt(ctx) && !fromOwnSite(ctx, publicUrl))
      throw new Forbidden(messages.crossSite);
    await next();
  };
}
