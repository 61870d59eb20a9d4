import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Middleware } from 'koa';
import { RequestTimeout } from '../errors';

/** Why a body was cut: no byte for the idle time, or not finished within the total time. */
type Expiry = 'idle' | 'total';

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** User-visible words of the 408 answers. */
const bodyTimeoutMessages = {
  idle: (ms: number) =>
    `The request body stopped arriving: nothing came for ${seconds(ms)}. Check the connection and send it again.`,
  total: (ms: number) =>
    `The request body took longer than ${seconds(ms)} to arrive. Check the connection and send it again.`,
};

/** A client that does not read its 408 cannot keep the socket: it is destroyed this long after the answer. */
const CLOSE_GRACE_MS = 2_000;

/** Body time limits; `isStreaming` picks the requests (uploads) that only have the idle limit. */
export interface BodyTimeoutOptions {
  idleMs: number;
  totalMs: number;
  isStreaming(ctx: Context): boolean;
}

function expectsBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  );
}

/**
 * Calls `expire` once `req`'s body has had no byte for `idleMs`, or is unfinished after `totalMs` (null:
 * no total limit). Returns stop(). Node's HTTP parser hands each body chunk to `req.push` (null at the
 * end): wrapping it sees every byte as it arrives without reading the stream, which multer and
 * @tus/server read themselves (a 'data' listener would start the flow before they are ready).
 */
function watchBody(
  req: IncomingMessage,
  limits: { idleMs: number; totalMs: number | null },
  expire: (why: Expiry) => void,
): () => void {
  let active = true;
  let lastByteAt = Date.now();
  const deadline = limits.totalMs === null ? Infinity : lastByteAt + limits.totalMs;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    active = false;
    clearTimeout(timer);
  };
  const push = req.push.bind(req);
  req.push = function pushWatched(chunk: unknown, encoding?: BufferEncoding) {
    if (active) {
      if (chunk === null) stop();
      else lastByteAt = Date.now();
    }
    return push(chunk, encoding);
  };
  const check = () => {
    const now = Date.now();
    // Unread bytes waiting in the request mean the server is the slow one (busy disk, a lock): not idle.
    if (req.readableLength > 0) lastByteAt = now;
    const why: Expiry | null =
      now >= deadline ? 'total' : now - lastByteAt >= limits.idleMs ? 'idle' : null;
    if (why) {
      stop();
      expire(why);
      return;
    }
    timer = setTimeout(check, Math.min(lastByteAt + limits.idleMs, deadline) - now);
  };
  timer = setTimeout(check, Math.min(limits.idleMs, limits.totalMs ?? Infinity));
  return stop;
}

/**
 * Once the 408 is out, Node closes the socket (`Connection: close`); a client that does not read it loses
 * the socket after CLOSE_GRACE_MS. Then the request is destroyed: Node no longer tells a request whose
 * response has finished that its connection went away, and the handler still reading the body (multer,
 * raw-body, tus) must learn it will never end, so it cleans up and lets go.
 */
function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  const abandon = () => {
    clearTimeout(timer);
    socket.destroy();
    req.destroy();
  };
  let timer: NodeJS.Timeout | undefined;
  res.once('finish', () => {
    if (socket.destroyed) return abandon();
    timer = setTimeout(abandon, CLOSE_GRACE_MS).unref();
    socket.once('close', abandon);
  });
}

/**
 * A handler may answer without reading the body (401, 403, an early 413): Node then reads and discards
 * the rest for as long as the client keeps sending, to reuse the connection. That is bounded too: a body
 * still unfinished `ms` after the answer loses its connection (the client has its answer by then).
 */
function boundDiscard(req: IncomingMessage, res: ServerResponse, ms: number): void {
  const start = () =>
    setTimeout(() => {
      if (!req.complete) req.socket?.destroy();
    }, ms).unref();
  if (res.writableFinished) start();
  else res.once('finish', start);
}

/**
 * Bounds the time a client may take to send its request body: no byte for `idleMs`, or (except uploads)
 * the whole body not there after `totalMs`, answers 408 with `Connection: close` and drops the
 * connection. The handler still waiting for the body sees the request aborted and cleans up as for a
 * client that hung up; a body left unread by its handler gets `idleMs` after the answer to finish.
 * Registered before anything that reads a body.
 */
export function bodyTimeout(options: BodyTimeoutOptions): Middleware {
  return async function bodyTimeout(ctx, next) {
    const { req } = ctx;
    if (req.complete || !expectsBody(req)) {
      await next();
      return;
    }
    const totalMs = options.isStreaming(ctx) ? null : options.totalMs;
    let fire: (err: RequestTimeout) => void = () => undefined;
    const timedOut = new Promise<never>((_, reject) => (fire = reject));
    let expired = false;
    const stop = watchBody(req, { idleMs: options.idleMs, totalMs }, (why) => {
      expired = true;
      const ms = why === 'idle' ? options.idleMs : options.totalMs;
      fire(new RequestTimeout(bodyTimeoutMessages[why](ms), { headers: { Connection: 'close' } }));
    });
    try {
      // The handler is left waiting when the timeout wins; destroying the socket ends its wait.
      await Promise.race([next(), timedOut]);
    } catch (err) {
      if (expired) closeAfterAnswer(req, ctx.res);
      throw err;
    } finally {
      stop();
      if (!expired && !req.complete) boundDiscard(req, ctx.res, options.idleMs);
    }
  };
}
