import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Span } from '../../lib/byte-ranges';
import type { ObjectStore } from '../../storage/types';

/** A multipart/byteranges body (RFC 9110 14.6): its boundary, exact length and a lazy stream. */
export interface MultipartBody {
  contentType: string;
  length: number;
  stream(): Readable;
}

/** Builds the part headers up front so Content-Length is exact before a byte is read. */
export function multipartRanges(
  storage: Pick<ObjectStore, 'get'>,
  key: string,
  spans: Span[],
  options: { size: number; type: string },
): MultipartBody {
  const boundary = `depot-${randomBytes(12).toString('hex')}`;
  const heads = spans.map((span, index) =>
    Buffer.from(
      `${index === 0 ? '' : '\r\n'}--${boundary}\r\n` +
        `Content-Type: ${options.type}\r\n` +
        `Content-Range: bytes ${span.start}-${span.end}/${options.size}\r\n\r\n`,
    ),
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length =
    heads.reduce((sum, head) => sum + head.length, 0) +
    spans.reduce((sum, span) => sum + span.end - span.start + 1, 0) +
    tail.length;

  async function* parts(): AsyncGenerator<Buffer> {
    for (const [index, span] of spans.entries()) {
      yield heads[index];
      // One part open at a time; leaving the loop early (client gone) destroys it.
      for await (const chunk of await storage.get(key, span)) yield chunk as Buffer;
    }
    yield tail;
  }

  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    length,
    stream: () => Readable.from(parts(), { objectMode: false }),
  };
}
