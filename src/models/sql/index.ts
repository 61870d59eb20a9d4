import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, Transaction } from 'sequelize';
import type { Logger } from '../../logger';
import { defineActivityModel, type ActivityModel } from './activity';
import { defineCommentModel, type CommentModel } from './comment';
import { defineFileModel, type FileModel } from './file';
import { defineSessionModel, type SessionModel } from './session';
import { defineShareModel, type ShareModel } from './share';
import { defineUploadModel, type UploadModel } from './upload';
import { defineUserModel, type UserModel } from './user';
import { createMysqlSequelize } from './mysql';

/** Every Sequelize model of one database connection. */
export interface SqlModels {
  User: UserModel;
  Session: SessionModel;
  File: FileModel;
  Upload: UploadModel;
  Comment: CommentModel;
  Activity: ActivityModel;
  Share: ShareModel;
}

/** Opens (lazily) DATABASE_URL: `sqlite:<file>`, or `mysql://...` with each wait bounded by `timeoutMs`. */
export function createSequelize(
  databaseUrl: string,
  logger: Logger,
  timeoutMs?: number,
): Sequelize {
  const logging = (sql: string) => logger.trace({ sql }, 'sql');
  if (databaseUrl.startsWith('sqlite:')) {
    const storage = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:';
    if (storage !== ':memory:')
      fs.mkdirSync(path.dirname(path.resolve(storage)), { recursive: true });
    // IMMEDIATE: a transaction takes the write lock when it begins, so two read-then-write transactions
    // queue on the busy timeout instead of deadlocking (SQLITE_BUSY at once) when both try to upgrade.
    const sequelize = new Sequelize({
      dialect: 'sqlite',
      storage,
      logging,
      pool: { max: 1 },
      transactionType: Transaction.TYPES.IMMEDIATE,
    });
    tuneSqliteConnections(sequelize);
    return sequelize;
  }
  return createMysqlSequelize(databaseUrl, logging, timeoutMs);
}

interface SqliteConnection {
  configure(option: 'busyTimeout', ms: number): void;
  run(sql: string, callback: (err: Error | null) => void): void;
}

/**
 * Sequelize's SQLite dialect opens a new connection per transaction and never runs `afterConnect` hooks,
 * so each new connection is tuned here: wait for a lock (busy timeout) instead of failing at once, and
 * WAL so readers are not blocked by a writer.
 */
function tuneSqliteConnections(sequelize: Sequelize): void {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options?: object): Promise<SqliteConnection>;
  };
  const getConnection = manager.getConnection.bind(manager);
  const tuned = new WeakSet<SqliteConnection>();
  manager.getConnection = async (options) => {
    const connection = await getConnection(options);
    if (!tuned.has(connection)) {
      tuned.add(connection);
      connection.configure('busyTimeout', 10_000);
      for (const pragma of ['PRAGMA journal_mode = WAL', 'PRAGMA synchronous = NORMAL']) {
        await new Promise<void>((resolve, reject) =>
          connection.run(pragma, (err) => (err ? reject(err) : resolve())),
        );
      }
    }
    return connection;
  };
}

/** Defines every model on the connection. */
export function defineModels(sequelize: Sequelize): SqlModels {
  return {
    User: defineUserModel(sequelize),
    Session: defineSessionModel(sequelize),
    File: defineFileModel(sequelize),
    Comment: defineCommentModel(sequelize),
    Activity: defineActivityModel(sequelize),
    Upload: defineUploadModel(sequelize),
    Share: defineShareModel(sequelize),
  };
}
