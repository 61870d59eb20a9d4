import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, DefaultState, Middleware } from 'koa';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

const MAX_LABEL_SETS = 1000;

/** An incoming X-Request-Id we keep (behind a trusted proxy): short, plain characters. */
export const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Gives each request an id (X-Request-Id), a child logger, one access-log line and its metrics. */
export function requestContext(
  logger: Logger,
  metrics: Metrics,
  options: { trustIncomingId: boolean },
): Middleware {
  const recordAccess = createAccessRecorder(logger, metrics);
  const record = (ctx: Context, reqId: string, started: bigint) =>
    recordAccess(ctx.req, ctx.res, {
      reqId,
      started,
      status: ctx.status,
      // Unrouted paths (static files, errors) share a label so a scan cannot grow the metrics without end.
      route:
        (ctx as { _matchedRoute?: string })._matchedRoute ??
        (ctx.status < 400 ? '(static)' : '(unmatched)'),
    });
  const lazyLog = lazyLogDescriptor(logger);
  return async function requestContext(ctx, next) {
    const incoming = options.trustIncomingId ? ctx.get('X-Request-Id') : '';
    const requestId = INCOMING_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    Object.defineProperty(ctx.state, 'log', lazyLog);
    ctx.state.user = null;
    ctx.set('X-Request-Id', requestId);
    ctx.onerror = reportOnce;
    // Log when the response is really over (downloads stream long after next() resolves).
    ctx.res.once('close', record.bind(null, ctx, requestId, process.hrtime.bigint()));
    await next();
  };
}

const LOG = Symbol('log');
type LazyLogState = DefaultState & { [LOG]?: Logger };

/**
 * ctx.state.log, a child logger bound to the request id, built on first use: most requests (assets,
 * pages) never log more than the access line, and building a child costs as much as writing a line.
 * Not enumerable, so spreading ctx.state into view locals does not build it. One descriptor serves
 * every request (no closures per request: this is the hot path of every asset).
 */
function lazyLogDescriptor(logger: Logger): PropertyDescriptor {
  return {
    configurable: true,
    enumerable: false,
    get(this: LazyLogState) {
      return (this[LOG] ??= logger.child({ reqId: this.requestId }));
    },
    set(this: LazyLogState, value: Logger) {
      this[LOG] = value;
    },
  };
}

/** What the access log says about one response. */
export interface AccessEntry {
  reqId: string;
  route: string;
  status: number;
  started: bigint;
  /** Whether the client went away first; by default, whether the response had not finished. */
  aborted?: boolean;
}

/** Writes the access-log line and the metrics of one finished (or abandoned) response. */
export function createAccessRecorder(logger: Logger, metrics: Metrics) {
  // prom-client hashes the label set on every call; the bound children are cached per label set.
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  const bound = <T>(cache: Map<string, T>, key: string, make: () => T): T => {
    let child = cache.get(key);
    if (!child) {
      if (cache.size >= MAX_LABEL_SETS) cache.clear();
      child = make();
      cache.set(key, child);
    }
    return child;
  };
  return function recordAccess(
    req: IncomingMessage,
    res: ServerResponse,
    entry: AccessEntry,
  ): void {
    const { reqId, route, status } = entry;
    const method = req.method ?? 'GET';
    const seconds = Number(process.hrtime.bigint() - entry.started) / 1e9;
    const aborted = entry.aborted ?? !res.writableFinished;
    const labels = `${method} ${route}`;
    bound(counters, `${labels} ${status}`, () =>
      metrics.httpRequests.labels({ method, route, status: String(status) }),
    ).inc();
    bound(timers, labels, () => metrics.httpDuration.labels({ method, route })).observe(seconds);
    const ms = Math.round(seconds * 1000);
    logger.info(
      aborted
        ? { reqId, method, route, status, ms, aborted }
        : { reqId, method, route, status, ms },
      'request',
    );
  };
}

const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

const REPORTED = Symbol('reported');

/**
 * Replaces ctx.onerror. Koa reports a failed response body twice (stream.pipeline and on-finished), and
 * reports a client that hung up mid-body as an error. Keep one report per request and none for hang-ups
 * (the access log marks those `aborted`), so app.on('error') logs each server error once.
 */
function reportOnce(this: Context & { [REPORTED]?: boolean }, err: Error | null): void {
  if (err == null || this[REPORTED]) return;
  this[REPORTED] = true;
  const code = (err as { code?: string }).code;
  // Depot's bodies come from memory and local disk, so these codes can only be the client's socket.
  if (code && CLIENT_GONE.has(code)) return;
  Object.getPrototypeOf(this).onerror.call(this, err);
}
