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
