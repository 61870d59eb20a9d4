import path from 'node:path';
import Koa, { type Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import compose from 'koa-compose';
import type Router from '@koa/router';
import type { AppDeps } from './deps';
import { apiAuth } from './http/api-auth';
import { bodyTimeout } from './http/body-timeout';
import { privateByDefault } from './http/cache-control';
import { csrfProtection } from './http/csrf';
import { sessionUser } from './http/current-user';
import { bodyDecodingFailure, isParserError } from './failures';
import { errorHandler } from './http/error-handler';
import { installSendBuffers } from './http/content/file-body';
import { clientLeft, isClientGone, requestContext } from './http/request-context';
import { trustedProxyAddresses } from './http/proxy-trust';
import { sameOriginWrites, siteOrigin } from './http/same-origin';
import { securityHeaders } from './http/security-headers';
import { sessions } from './http/session';
import { fingerprintedAssets, staticFiles } from './http/static-assets';
import { installRenderer } from './http/render';

const PRODUCT_NAME = 'Depot';
const ROOT_DIR = path.resolve(__dirname, '..');

const noop: Middleware = (_ctx, next) => next();

const isApi = (p: string) => p === '/api' || p.startsWith('/api/');
const hasBearer = (ctx: Koa.Context) => /^bearer\s/i.test(ctx.get('Authorization'));

/** Uploads stream as long as bytes keep coming: form posts to /files and /api/files, and tus. */
const isUpload = (ctx: Koa.Context) =>
  (ctx.method === 'POST' && (ctx.path === '/files' || ctx.path === '/api/files')) ||
  ctx.path === '/api/uploads' ||
  ctx.path.startsWith('/api/uploads/');

/** The routers as one middleware: each router's routes, then its 405/501 answers. */
function mountRouters(routers: Router[]): Middleware {
  return compose(
    routers.flatMap((router) => [router.routes(), router.allowedMethods()]) as Middleware[],
  );
}

/** Runs `middleware` only for /api requests, or only for the others. */
function forApi(apiOnly: boolean, middleware: Middleware): Middleware {
  return async function forApi(ctx, next) {
    await (isApi(ctx.path) === apiOnly ? middleware(ctx, next) : next());
  };
}

/** Builds the Koa app from its dependencies: no I/O, no environment, no listening. */
export function createApp(deps: AppDeps): Koa {
  const { config, logger } = deps;
  // With N trusted hops, ctx.ip is the N-th X-Forwarded-For entry from the right: the one the outermost
  // trusted proxy wrote. Entries left of it are the client's own words and never count.
  const app = new Koa({
    keys: config.appKeys,
    proxy: config.trustProxy,
    maxIpsCount: config.proxy.hops,
    env: config.env,
  });
  if (config.isProduction && !config.publicUrl)
    logger.warn(
      'PUBLIC_URL is not set: share links are built from each request Host header; set PUBLIC_URL',
    );
  if (config.proxy.deprecatedTrue)
    logger.warn('TRUST_PROXY=true is deprecated: it means 1 trusted proxy hop; set TRUST_PROXY=1');
  installRenderer(app, deps.views, { productName: PRODUCT_NAME });
  installSendBuffers(app);

  // Each 5xx is logged once, here, with its request id; 4xx are the client's business.
  app.on('error', (err: Error & { status?: number }, ctx?: Koa.Context) => {
    if (err.status && err.status < 500) return;
    // Bytes that are not HTTP are the client's fault, whatever the state of its socket (never the raw packet).
    if (isParserError(err)) return;
    // A client that went away mid-request is no server fault: its access line says aborted, at info.
    if (ctx && isClientGone(err) && clientLeft(ctx)) return;
    const log = ctx?.state?.log ?? logger;
    log.error(
      { err, reqId: ctx?.state?.requestId, method: ctx?.method, path: ctx?.path },
      'request failed',
    );
  });

  app
    .use(privateByDefault())
    .use(errorHandler({ exposeInternals: config.env === 'development' }))
    .use(config.proxy.addresses.length ? trustedProxyAddresses(config.proxy.addresses) : noop)
    .use(requestContext(logger, deps.metrics, { trustIncomingId: config.trustProxy }))
    .use(securityHeaders())
    .use(fingerprintedAssets(deps.assets))
    .use(staticFiles(path.join(ROOT_DIR, 'public')))
    .use(
      bodyTimeout({
        idleMs: config.timeouts.bodyIdleMs,
        totalMs: config.timeouts.bodyTotalMs,
        isStreaming: isUpload,
      }),
    )
    .use(
      bodyParser({
        enableTypes: ['json', 'form'],
        jsonLimit: '1mb',
        formLimit: '256kb',
        strict: true,
        // A body that does not decode as its Content-Encoding says is the client's (400), not zlib's 500.
        onerror: (err) => {
          throw bodyDecodingFailure(err);
        },
      }),
    )
    .use(sessions(app, deps.sessionStore, { ttlMs: config.sessionTtlMs, keyPrefix: 'sess:' }))
    .use(sessionUser(deps.accounts))
    .use(siteOrigin(config.publicUrl))
    // A bearer token is never attached by a browser on its own: only cookie-borne writes are checked.
    .use(sameOriginWrites(config.publicUrl, (ctx) => isApi(ctx.path) && hasBearer(ctx)))
    .use(forApi(false, csrfProtection()))
    .use(forApi(true, compose(apiAuth({ secret: config.jwtSecret, accounts: deps.accounts }))))
    .use(mountRouters(deps.routers));
  return app;
}
