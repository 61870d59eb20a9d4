import { AppError, InsufficientStorage } from '../errors';

/**
 * A full file system: ENOSPC, a file-system quota, and the databases' own words for it when the database lives
 * on the same full disk (SQLite's SQLITE_FULL, MySQL/MariaDB's table-full and disk-full errors).
 */
const NO_SPACE = new Set([
  'ENOSPC',
  'EDQUOT',
  'SQLITE_FULL',
  'ER_RECORD_FILE_FULL',
  'ER_DISK_FULL',
]);

type Wrapped = { code?: unknown; cause?: unknown; parent?: unknown };

/** A full disk anywhere in `err`'s chain (`cause`, or Sequelize's `parent` for the driver's error) -> 507. */
export function diskFailure(err: unknown): AppError | null {
  for (let e = err as Wrapped | null, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && NO_SPACE.has(e.code))
      return new InsufficientStorage(undefined, { cause: err });
    e = (e.cause ?? e.parent) as Wrapped | null;
  }
  return null;
}
