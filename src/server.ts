import { randomUUID } from 'node:crypto';
import http, { type RequestListener } from 'node:http';
import type Koa from 'koa';
import type { TimeoutSettings } from './config';
import type { AppDeps } from './deps';
import { createAccessRecorder, INCOMING_ID } from './http/request-context';
import { sendAsset } from './http/static-assets';

/**
 * The HTTP request listener of a Depot process: fingerprinted assets (the busiest URLs, never changing)
 * are answered from memory before Koa builds a context, with the same headers, request id, access-log
 * line and metrics as through the app; everything else goes to the Koa app. bin/www.ts listens with it.
 * An asset's whole response is handed to the socket at once, so its access line is written right then
 * (as nginx logs once the last byte is queued), not on a 'close' listener per request.
 */
export function createRequestListener(app: Koa, deps: AppDeps): RequestListener {
  const handle = app.callback();
  const recordAccess = createAccessRecorder(deps.logger, deps.metrics);
  const trustIncomingId = deps.config.trustProxy;
  return function depot(req, res) {
    const asset =
      (req.method === 'GET' || req.method === 'HEAD') && req.url
        ? deps.assets.get(req.url)
        : undefined;
    if (!asset) {
      void handle(req, res);
      return;
    }
    const started = process.hrtime.bigint();
    const incoming = trustIncomingId ? req.headers['x-request-id'] : undefined;
    const reqId =
      typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    const status = sendAsset(req, res, asset, [
      'X-Request-Id',
      reqId,
      'X-Content-Type-Options',
      'nosniff',
    ]);
    recordAccess(req, res, { reqId, route: '(static)', status, started, aborted: res.destroyed });
  };
}

/** Idle keep-alive connections are closed after this long without a new request. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Node checks the headers timeout only this often; the default 30 s let slow heads live 84 s. */
const MAX_CHECKING_INTERVAL_MS = 1_000;

/**
 * The HTTP server of a Depot process (bin/www.ts and the tests use the same one). A request head must
 * arrive within `headersMs` (Node answers 408 and closes); there is no total request time, because
 * uploads may stream for hours: bodies are bounded by the body-timeout middleware instead.
 */
export function createServer(listener: RequestListener, timeouts: TimeoutSettings): http.Server {
  const server = http.createServer(
    {
      requestTimeout: 0,
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.min(MAX_CHECKING_INTERVAL_MS, timeouts.headersMs),
    },
    listener,
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}
