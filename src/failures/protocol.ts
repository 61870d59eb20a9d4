import { BadRequest, type AppError } from '../errors';

/** Whether `err` is Node's HTTP parser refusing the client's bytes (HPE_*: a bad chunk size, a bad header...). */
export function isParserError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('HPE_');
}

/**
 * A request that is not valid HTTP is the client's fault: a 400 naming the problem, never a 500. The parser's
 * error is kept only as the cause: its `rawPacket` (the raw request, credentials included) is never shown or logged.
 */
export function protocolFailure(err: unknown): AppError | null {
  if (!isParserError(err)) return null;
  return new BadRequest('The request is not valid HTTP (its body or headers are malformed).', {
    cause: err,
  });
}

/** zlib's codes for bytes that are not what their Content-Encoding says (gzip, deflate; brotli's are ERR__ERROR_*). */
const DECODE_CODES = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_NEED_DICT']);

/**
 * The error a body parser raised, as the client should see it: a body that does not decode as its
 * Content-Encoding claims is a 400 naming that (zlib's error would otherwise be a 500); others pass through.
 */
export function bodyDecodingFailure(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (DECODE_CODES.has(code) || code.startsWith('ERR__ERROR_')))
    return new BadRequest(
      'The request body could not be decoded: it is not what its Content-Encoding header says.',
      { cause: err },
    );
  return err;
}
