import type { Context } from 'koa';
import type { Readable } from 'node:stream';
import { evaluateRange, type Span } from '../../lib/byte-ranges';
import { dispositionHeader } from '../../lib/disposition';
import { evaluatePreconditions, ifRangeAllows } from '../../lib/preconditions';
import type { ObjectStore } from '../../storage/types';
import { FileSpanBody, sendBuffersOf } from './file-body';
import { multipartRanges } from './multipart-ranges';

/** Which response body is about to start (for counting downloads). */
export interface BodyStartInfo {
  /** The body begins with byte 0 of the file (a fresh download, not a resumed one). */
  fromByteZero: boolean;
  /** The body is the whole file (200). */
  full: boolean;
}

/** What to send and how. */
export interface SendContentOptions {
  /** Where the content is: streamed ranges, or positioned reads into pooled buffers. */
  storage: Pick<ObjectStore, 'get' | 'open'>;
  key: string;
  size: number;
  /** Strong entity tag, quoted (see strongEtag). */
  etag: string;
  lastModified: Date;
  name: string;
  type: string;
  disposition: 'attachment' | 'inline';
  cacheControl: string;
  /** Counts the body bytes actually sent (deps.metrics.bytesDownloaded). */
  bytesSent?: { inc(value: number): void };
  /** Awaited before a GET body starts; may throw (e.g. 410 for an exhausted share) to refuse it. */
  onBodyStart?(info: BodyStartInfo): Promise<void> | void;
}

/** The strong ETag of content with this SHA-256: identical bytes, identical tag. */
export function strongEtag(sha256: string): string {
  return `"${sha256}"`;
}

/**
 * Answers GET/HEAD for stored content to the letter of RFC 9110: validators, preconditions
 * (304/412), single and multiple ranges (206/416), If-Range, and a streamed body with
 * back-pressure whose file handle closes as soon as the client goes away.
 */
export async function sendContent(ctx: Context, options: SendContentOptions): Promise<void> {
  const validators = { etag: options.etag, lastModified: options.lastModified };
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('ETag', options.etag);
  ctx.set('Last-Modified', options.lastModified.toUTCString());
  ctx.set('Cache-Control', options.cacheControl);
  ctx.set('X-Content-Type-Options', 'nosniff');

  const precondition = evaluatePreconditions(ctx.headers, validators);
  if (precondition === 'failed') return plain(ctx, 412, 'Precondition Failed');
  if (precondition === 'not-modified') {
    ctx.status = 304;
    return;
  }

  const rangeHeader = ifRangeAllows(ctx.headers, validators) ? ctx.get('Range') : '';
  const range = evaluateRange(rangeHeader, options.size);
  if (range.kind === 'unsatisfiable') {
    ctx.set('Content-Range', `bytes */${options.size}`);
    return plain(ctx, 416, 'Range Not Satisfiable');
  }
  ctx.set('Content-Disposition', dispositionHeader(options.disposition, options.name));
  if (range.kind === 'full') return sendSpan(ctx, options, null);
  if (range.spans.length === 1) return sendSpan(ctx, options, range.spans[0]);
  return sendMultipart(ctx, options, range.spans);
}

/** A small text body for 412/416 (headers already set stay, unlike a thrown error page). */
function plain(ctx: Context, status: number, text: string): void {
  ctx.status = status;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = `${text}\n`;
}

async function sendSpan(ctx: Context, options: SendContentOptions, span: Span | null) {
  const length = span ? span.end - span.start + 1 : options.size;
  ctx.status = span ? 206 : 200;
  if (span) ctx.set('Content-Range', `bytes ${span.start}-${span.end}/${options.size}`);
  const open = async (): Promise<Readable> => {
    if (length === 0) return options.storage.get(options.key);
    const reader = await options.storage.open(options.key);
    const counter = options.bytesSent;
    const start = span?.start ?? 0;
    return new FileSpanBody(reader, start, start + length - 1, {
      pool: sendBuffersOf(ctx),
      sink: ctx.res,
      onBytes: counter && ((n) => counter.inc(n)),
    });
  };
  await respond(ctx, options, { type: options.type, length, open }, span?.start ?? 0, !span);
}

async function sendMultipart(ctx: Context, options: SendContentOptions, spans: Span[]) {
  const body = multipartRanges(options.storage, options.key, spans, options);
  // Part headers make a multipart body bigger than its data: never answer more than the file.
  if (body.length > options.size) return sendSpan(ctx, options, null);
  ctx.status = 206;
  const open = () => Promise.resolve(body.stream());
  await respond(
    ctx,
    options,
    { type: body.contentType, length: body.length, open },
    spans[0].start,
    false,
  );
}

interface BodySource {
  type: string;
  length: number;
  open(): Promise<Readable>;
}

async function respond(
  ctx: Context,
  options: SendContentOptions,
  source: BodySource,
  firstByte: number,
  full: boolean,
): Promise<void> {
  if (ctx.method === 'HEAD') {
    // Same headers as GET, and no file opened: Koa sends no body for HEAD.
    ctx.body = Buffer.alloc(0);
  } else {
    await options.onBodyStart?.({ fromByteZero: firstByte === 0, full });
    const stream = await source.open();
    const counter = options.bytesSent;
    // Listen only once Koa pipes: a 'data' listener added earlier would start the flow too soon.
    // (FileSpanBody counts its own bytes and emits no 'data'.)
    if (counter && !(stream instanceof FileSpanBody))
      ctx.res.once('pipe', (src: Readable) =>
        src.on('data', (chunk: Buffer) => counter.inc(chunk.length)),
      );
    // Koa pipes the stream with back-pressure and destroys it (closing the fd) when res finishes or closes.
    ctx.body = stream;
  }
  ctx.type = source.type;
  ctx.length = source.length;
}
