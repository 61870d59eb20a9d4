import type { Readable } from 'node:stream';

/** Chunks handed to the web stream: large, so the per-chunk cost of web streams is paid rarely. */
const WEB_BODY_CHUNK_BYTES = 1024 * 1024;

/**
 * A web ReadableStream over a Node request body that coalesces the socket's small reads (16-64 KiB) into
 * chunks of about `chunkBytes`, with at most `queueChunks` queued before the socket is paused. Node's
 * Readable.toWeb passes every small read through the web-streams machinery; this is what keeps a tus
 * PATCH near the speed of a plain pipe. Cancelling stops reading into the stream and lets Node discard
 * the rest of the body, so an error response can still be sent.
 */
export function coalescedWebStream(
  source: Readable,
  chunkBytes = WEB_BODY_CHUNK_BYTES,
  queueChunks = 2,
): ReadableStream<Uint8Array> {
  let parts: Buffer[] = [];
  let size = 0;
  let settled = false;
  const onData = (controller: ReadableStreamDefaultController<Uint8Array>) => (chunk: Buffer) => {
    parts.push(chunk);
    size += chunk.length;
    if (size < chunkBytes) return;
    controller.enqueue(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
    parts = [];
    size = 0;
    if ((controller.desiredSize ?? 0) <= 0) source.pause();
  };
  let listener: ((chunk: Buffer) => void) | null = null;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        listener = onData(controller);
        source.on('data', listener);
        source.once('end', () => {
          settled = true;
          if (size) controller.enqueue(Buffer.concat(parts, size));
          parts = [];
          controller.close();
        });
        // A client that hangs up mid-body ('error', or 'close' without 'end') ends the body where it stopped,
        // with what did arrive: tus keeps those bytes and the client resumes from there.
        const hangUp = () => {
          if (settled) return;
          settled = true;
          if (size) controller.enqueue(Buffer.concat(parts, size));
          parts = [];
          controller.close();
        };
        source.once('error', hangUp);
        source.once('close', hangUp);
      },
      pull() {
        source.resume();
      },
      cancel() {
        settled = true;
        parts = [];
        if (listener) source.off('data', listener);
        source.resume();
      },
    },
    { highWaterMark: queueChunks },
  );
}
