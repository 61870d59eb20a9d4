import type { AppError } from '../errors';
import { dependencyFailure } from './dependencies';
import { diskFailure } from './disk';

export { bodyDecodingFailure, isParserError, protocolFailure } from './protocol';

/**
 * Known conditions of the server's environment, turned into the AppError a client should see (503, 507)
 * instead of a generic 500. The error middleware asks this before anything else.
 */
export function classifyFailure(err: unknown): AppError | null {
  return diskFailure(err) ?? dependencyFailure(err);
}
