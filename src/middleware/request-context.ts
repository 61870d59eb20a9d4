import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives each request an id (X-Request-Id), a child logger, one access-log line and its metrics. */
export function requestContext(
  logger: Logger,
  metrics: Metrics,
  options: { trustIncomingId: boolean },
): Middleware {
  return async function requestContext(ctx, next) {
    const incoming = ctx.get('X-Request-Id');
    const requestId =
      options.trustIncomingId && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    const started = process.hrtime.bigint();
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ reqId: requestId });
    ctx.state.user = null;
    ctx.set('X-Request-Id', requestId);

    // Log when the response is really over (downloads stream long after next() resolves).
    ctx.res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route =
        (ctx as { _matchedRoute?: string })._matchedRoute ??
        (ctx.status === 404 ? '(unmatched)' : ctx.path);
      const aborted = !ctx.res.writableFinished;
      metrics.httpRequests.inc({ method: ctx.method, route, status: String(ctx.status) });
      metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
      ctx.state.log.info(
        {
          method: ctx.method,
          route,
          status: ctx.status,
          ms: Math.round(seconds * 1000),
          ...(aborted ? { aborted } : {}),
        },
        'request',
      );
    });
    await next();
  };
}
