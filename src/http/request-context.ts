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

/** The status label of responses the client abandoned before their last byte (whatever their status). */
const ABORTED_STATUS = 'aborted';

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
    // Counted apart: a client that left is neither a success nor a failure, and before the headers went
    // out ctx.status is only Koa's placeholder 404.
    const statusLabel = aborted ? ABORTED_STATUS : String(status);
    bound(counters, `${labels} ${statusLabel}`, () =>
      metrics.httpRequests.labels({ method, route, status: statusLabel }),
    ).inc();
    bound(timers, labels, () => metrics.httpDuration.labels({ method, route })).observe(seconds);
    const ms = Math.round(seconds * 1000);
    if (!aborted) logger.info({ reqId, method, route, status, ms }, 'request');
    // The status only when it reached the client (a download cut mid-body was a 200).
    else if (res.headersSent) logger.info({ reqId, method, route, status, ms, aborted }, 'request');
    else logger.info({ reqId, method, route, ms, aborted }, 'request');
  };
}

const CLIENT_GONE = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  // Node's parser, when the connection ends in the middle of a request body (a cut tus PATCH).
  'HPE_INVALID_EOF_STATE',
]);

/** Whether `err` is the client's socket going away (or the client breaking HTTP mid-request): no server fault. */
export function isClientGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // Every other HPE_* is the client sending something that is not HTTP: its problem, not ours.
  return typeof code === 'string' && (CLIENT_GONE.has(code) || code.startsWith('HPE_'));
}

/** Whether the client left before the last byte of the response: its socket closed first. */
export function clientLeft(ctx: Context): boolean {
  return !ctx.res.writableFinished && Boolean(ctx.req.socket?.destroyed);
}

/**
 * Whether `err` is the response stream cut because its client left (stream.pipeline reports the closed
 * response as a premature close). The same code with the client still there is a body that broke: ours.
 */
function isAbandonedBody(ctx: Context, err: Error): boolean {
  return (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE' && clientLeft(ctx);
}

const REPORTED = Symbol('reported');

/**
 * Replaces ctx.onerror. Koa reports a failed response body twice (stream.pipeline and on-finished), and
 * reports a client that hung up mid-body as an error. Keep one report per request and none for hang-ups
 * (the access log marks those `aborted`), so app.on('error') logs each server error once.
 */
function reportOnce(this: Context & { [REPORTED]?: boolean }, err: Error | null): void {
  if (err == null || this[REPORTED]) return;
  this[REPORTED] = true;
  // Depot's bodies come from memory and local disk, so these codes can only be the client's socket.
  if (isClientGone(err) || isAbandonedBody(this, err)) return;
  (Object.getPrototypeOf(this) as Context).onerror.call(this, err);
}
