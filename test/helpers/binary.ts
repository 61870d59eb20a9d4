import type { Response } from 'superagent';

/** A superagent parser that keeps the body as raw bytes (for byte-exact comparisons). */
export function binaryParser(
  res: Response,
  callback: (err: Error | null, body: Buffer) => void,
): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}

/** One part of a multipart/byteranges body. */
export interface BytePart {
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a multipart/byteranges body strictly by its boundary (RFC 9110 14.6, RFC 2046). */
export function parseByteranges(body: Buffer, contentType: string): BytePart[] {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const parts: BytePart[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at !== 0) throw new Error('body does not start with the boundary');
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 4).toString() === '--\r\n') {
      if (afterDelimiter + 4 !== body.length) throw new Error('bytes after the close delimiter');
      return parts;
    }
    const headEnd = body.indexOf('\r\n\r\n', afterDelimiter);
    const headers: Record<string, string> = {};
    for (const line of body
      .subarray(afterDelimiter + 2, headEnd)
      .toString()
      .split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd + 4);
    if (next < 0) throw new Error('unterminated part');
    parts.push({ headers, body: body.subarray(headEnd + 4, next) });
    at = next + 2;
  }
}
