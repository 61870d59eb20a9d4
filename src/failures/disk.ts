import { AppError, InsufficientStorage } from '../errors';

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** A full upload directory (ENOSPC, or a quota of the file system) anywhere in `err`'s cause chain -> 507. */
export function diskFailure(err: unknown): AppError | null {
  for (
    let e = err as { code?: unknown; cause?: unknown } | null, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === 'string' && NO_SPACE.has(e.code))
      return new InsufficientStorage(undefined, { cause: err });
    e = e.cause as typeof e;
  }
  return null;
}
