import sqlite3 from 'sqlite3';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../logger';

/** The lock's name on MySQL, and how long a starting instance waits for another one's migrations. */
export const MIGRATION_LOCK = { name: 'depot_migrations', waitSeconds: 300 } as const;
const SQLITE_RETRY_MS = 100;

/** Another instance held the lock past MIGRATION_LOCK.waitSeconds: its migrations may have hung. */
class MigrationLockTimeout extends Error {
  override name = 'MigrationLockTimeout';
}

/**
 * Runs `work` (the migrations) while holding a lock every instance on this database takes first, so
 * instances started together migrate one after the other: the first applies what is pending, the others
 * find nothing left. MySQL: GET_LOCK on one pinned connection (released with it, even if this process
 * dies). SQLite: an exclusive lock on a side file, `<database>.migrate-lock` (the OS drops it with the
 * process), so this process's own write queue and its writer connection stay free for the migrations.
 */
export async function withMigrationLock<T>(
  sequelize: Sequelize,
  logger: Logger,
  work: () => Promise<T>,
): Promise<T> {
  if (sequelize.getDialect() === 'mysql') return withMysqlLock(sequelize, logger, work);
  // The SQLite file as Sequelize keeps it (untyped; pinned by test/integration/sql-sqlite-internals.test.ts).
  const { options } = sequelize as unknown as { options: { storage?: string } };
  const storage = options.storage ?? ':memory:';
  // An in-memory database belongs to one connection of one process: nobody to race with.
  if (storage === ':memory:') return work();
  return withSqliteLock(`${storage}.migrate-lock`, logger, work);
}

async function withMysqlLock<T>(
  sequelize: Sequelize,
  logger: Logger,
  work: () => Promise<T>,
): Promise<T> {
  // A transaction pins one connection, which the lock belongs to; the migrations use others.
  return sequelize.transaction(async (transaction) => {
    const [row] = await sequelize.query<{ got: number | null }>(
      'SELECT GET_LOCK(:name, :wait) AS got',
      {
        replacements: { name: MIGRATION_LOCK.name, wait: MIGRATION_LOCK.waitSeconds },
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    if (Number(row?.got) !== 1) throw lockTimeout();
    logger.debug({ lock: MIGRATION_LOCK.name }, 'migration lock taken');
    try {
      return await work();
    } finally {
      await sequelize.query('SELECT RELEASE_LOCK(:name)', {
        replacements: { name: MIGRATION_LOCK.name },
        transaction,
      });
    }
  });
}

function lockTimeout(): MigrationLockTimeout {
  return new MigrationLockTimeout(
    `Another Depot instance has been migrating this database for over ${MIGRATION_LOCK.waitSeconds} s; ` +
      'check it, then start again.',
  );
}

const run = (db: sqlite3.Database, sql: string) =>
  new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));

async function withSqliteLock<T>(file: string, logger: Logger, work: () => Promise<T>): Promise<T> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(file, (err) =>
      err ? reject(err) : resolve(opened),
    );
  });
  try {
    // No busy timeout: a held lock is retried from the event loop, never waited for on a pool thread.
    db.configure('busyTimeout', 0);
    const deadline = Date.now() + MIGRATION_LOCK.waitSeconds * 1000;
    for (;;) {
      try {
        await run(db, 'BEGIN EXCLUSIVE');
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
        if (Date.now() > deadline) throw lockTimeout();
        await new Promise((resolve) => setTimeout(resolve, SQLITE_RETRY_MS));
      }
    }
    logger.debug({ lock: file }, 'migration lock taken');
    try {
      return await work();
    } finally {
      await run(db, 'ROLLBACK');
    }
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}
