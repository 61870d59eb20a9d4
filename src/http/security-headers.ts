import type { Middleware } from 'koa';

/** The CSP of every page: no inline script, no framing by other sites. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_PREFIX = '/build/';
const HEADERS: Record<string, string> = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

/** Security headers on every response; routes that serve user content tighten them further. */
export function securityHeaders(): Middleware {
  return async function securityHeaders(ctx, next) {
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    if (!ctx.path.startsWith(ASSET_PREFIX)) {
      ctx.set(HEADERS);
      await next();
      return;
    }
    // Built assets (CSS, JS, images) are never documents: nosniff is what matters for them, and
    // skipping the rest keeps the busiest path cheap. A miss becomes the 404 page, which gets them all.
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      await next();
    } finally {
      if (ctx.status >= 400 && !ctx.headerSent) ctx.set(HEADERS);
    }
  };
}
