import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import type Koa from 'koa';
import type { AppDeps } from './deps';
import { createAccessRecorder, INCOMING_ID } from './middleware/request-context';
import { sendAsset } from './middleware/static-assets';

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
