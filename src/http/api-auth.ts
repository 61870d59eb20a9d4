import { createSecretKey } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import koaJwt from 'koa-jwt';
import { Unauthorized } from '../errors';
import type { AccountService } from '../features/accounts/service';
import {
  JWT_ALGORITHM,
  JWT_AUDIENCE,
  JWT_ISSUER,
  type TokenClaims,
} from '../features/accounts/tokens';
import { hasValidCsrfToken } from './csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Paths under /api that anyone may call (they issue tokens). */
const PUBLIC_API_PATHS = [/^\/api\/auth\/token$/, /^\/api\/auth\/wechat$/];

/** jsonwebtoken accepts a token without `exp`; ours always carry one, so its absence means forgery. */
function wellFormedClaims(claims: unknown): claims is TokenClaims & { exp: number } {
  const c = claims as Partial<TokenClaims & { exp: unknown }> | undefined;
  return typeof c?.sub === 'string' && Number.isInteger(c.ver) && typeof c.exp === 'number';
}

const bearerChallenge = (error?: string) => ({
  headers: {
    'WWW-Authenticate': error ? `Bearer realm="depot", error="${error}"` : 'Bearer realm="depot"',
  },
});

/**
 * Identifies the caller of /api requests: a bearer JWT (HS256 pinned, exp, issuer, audience, token version), or,
 * for the browser's own calls (the resumable uploader), the session cookie plus an X-CSRF-Token header.
 */
export function apiAuth(options: { secret: string; accounts: AccountService }): Middleware[] {
  const verifyJwt = koaJwt({
    // A KeyObject, not the string: given a string, jsonwebtoken first tries (and fails) to parse it as a
    // public key on every verification, which costs more than the HMAC itself.
    secret: createSecretKey(Buffer.from(options.secret)) as unknown as string,
    algorithms: [JWT_ALGORITHM],
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    key: 'jwt',
    passthrough: true,
  }).unless({ path: PUBLIC_API_PATHS });

  async function resolveApiUser(ctx: Context, next: () => Promise<unknown>) {
    if (PUBLIC_API_PATHS.some((path) => path.test(ctx.path))) return next();
    if (ctx.get('Authorization')) {
      const claims = (ctx.state as { jwt?: unknown }).jwt;
      if (!wellFormedClaims(claims))
        throw new Unauthorized(
          'The access token is missing, malformed, expired or invalid.',
          bearerChallenge('invalid_token'),
        );
      const user = await options.accounts.findById(claims.sub);
      if (!user || user.tokenVersion !== claims.ver) {
        throw new Unauthorized(
          'The access token has been revoked.',
          bearerChallenge('invalid_token'),
        );
      }
      ctx.state.user = user;
      ctx.state.authMethod = 'bearer';
      return next();
    }
    // A session cookie alone must not authorize a cross-site write: it needs the page's CSRF token too.
    if (ctx.state.user && !SAFE_METHODS.has(ctx.method) && !hasValidCsrfToken(ctx))
      ctx.state.user = null;
    return next();
  }

  return [verifyJwt, resolveApiUser];
}

/** Refuses guests with a 401 problem; used by API routers so unknown /api paths still answer 404. */
export function requireApiUser(): Middleware {
  return async function requireApiUser(ctx, next) {
    if (!ctx.state.user) {
      throw new Unauthorized(
        'Send an access token: Authorization: Bearer <token>.',
        bearerChallenge(),
      );
    }
    await next();
  };
}
