import type { AppError } from '../errors';

/** A database, Redis or MongoDB that is down or frozen -> 503 with Retry-After (filled in by the timeouts work). */
export function dependencyFailure(_err: unknown): AppError | null {
  return null;
}
