import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import { Forbidden } from '../errors';
import { leadingField, multipartBoundary } from '../lib/multipart-head';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How much of a multipart body may come before its `_csrf` field (the forms put it first). */
const MULTIPART_HEAD_LIMIT = 64 * 1024;

const messages = {
  refused: 'The form has expired or did not come from Depot. Reload the page and try again.',
};

/** The session's CSRF token, created on first use (forms embed it as the hidden `_csrf` field). */
export function csrfToken(ctx: Context): string {
  if (!ctx.session) throw new Error('csrfToken needs a session');
  if (typeof ctx.session.csrf !== 'string')
    ctx.session.csrf = randomBytes(32).toString('base64url');
  return ctx.session.csrf as string;
}

function sameToken(expected: unknown, given: unknown): boolean {
  if (typeof expected !== 'string' || typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The token a request presents: the parsed form's `_csrf` field or the X-CSRF-Token header. Never the
 * URL: a token there ends up in browser history, proxy logs and Referer headers.
 */
function presentedToken(ctx: Context): unknown {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  if (body && typeof body._csrf === 'string') return body._csrf;
  const header = ctx.get('X-CSRF-Token');
  return header || undefined;
}

/** True when an unsafe request carries the session's token (form field or header). */
export function hasValidCsrfToken(ctx: Context): boolean {
  return sameToken(ctx.session?.csrf, presentedToken(ctx));
}

/**
 * Reads `req` until `enough(head)` or `limit` bytes, then puts every byte read back at the front of the
 * stream, so the body parser downstream (multer) reads the whole body as if nothing had happened. The
 * unshift happens in the 'readable' handler itself: were it a tick later, a body read to its end could
 * already have emitted 'end'. A body that ends, fails or is cut first resolves with what came.
 */
function peekBody(
  req: IncomingMessage,
  limit: number,
  enough: (head: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (putBack: boolean) => {
      req.off('readable', onReadable);
      req.off('end', ended);
      req.off('error', ended);
      req.off('close', ended);
      const head = Buffer.concat(chunks, size);
      if (putBack && size) req.unshift(head);
      resolve(head);
    };
    const ended = () => done(false);
    function onReadable() {
      let chunk: Buffer | null;
      while ((chunk = req.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= limit || enough(Buffer.concat(chunks, size))) return done(true);
      }
    }
    req.on('readable', onReadable);
    req.once('end', ended);
    req.once('error', ended);
    req.once('close', ended);
  });
}

/**
 * Multipart forms are parsed after this check (their files stream straight to storage), so their token
 * is read from the head of the body: a `_csrf` field before any file part. Nothing is stored before it
 * has been compared; the bytes read are handed back to the parser.
 */
async function hasValidMultipartToken(ctx: Context): Promise<boolean> {
  const boundary = multipartBoundary(ctx.get('Content-Type'));
  if (!boundary || typeof ctx.session?.csrf !== 'string') return false;
  const head = await peekBody(
    ctx.req,
    MULTIPART_HEAD_LIMIT,
    (bytes) => !('more' in leadingField(bytes, boundary, '_csrf')),
  );
  // Only the head counts: a body that arrived in one large read may hold more than the limit.
  const found = leadingField(head.subarray(0, MULTIPART_HEAD_LIMIT), boundary, '_csrf');
  return 'value' in found && sameToken(ctx.session.csrf, found.value);
}

/** Refuses state-changing page requests without the session's token (403, nothing changes). */
export function csrfProtection(): Middleware {
  return async function csrfProtection(ctx, next) {
    if (
      SAFE_METHODS.has(ctx.method) ||
      hasValidCsrfToken(ctx) ||
      (ctx.is('multipart/form-data') && (await hasValidMultipartToken(ctx)))
    ) {
      await next();
      return;
    }
    // A refused upload's body is not read: closing the connection spares the client sending the rest.
    const close = ctx.is('multipart/form-data') ? { headers: { Connection: 'close' } } : undefined;
    throw new Forbidden(messages.refused, close);
  };
}
