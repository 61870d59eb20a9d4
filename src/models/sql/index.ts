import fs from 'node:fs';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import type { Logger } from '../../logger';
import { defineSessionModel, type SessionModel } from './session';
import { defineUserModel, type UserModel } from './user';

/** Every Sequelize model of one database connection. */
export interface SqlModels {
  User: UserModel;
  Session: SessionModel;
}

/** Opens (lazily) the database named by DATABASE_URL: `sqlite:<file>` or `mysql://...`. */
export function createSequelize(databaseUrl: string, logger: Logger): Sequelize {
  const logging = (sql: string) => logger.trace({ sql }, 'sql');
  if (databaseUrl.startsWith('sqlite:')) {
    const storage = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:';
    if (storage !== ':memory:')
      fs.mkdirSync(path.dirname(path.resolve(storage)), { recursive: true });
    const sequelize = new Sequelize({ dialect: 'sqlite', storage, logging, pool: { max: 1 } });
    // WAL lets readers run during a write; busy_timeout waits instead of failing on a lock.
    sequelize.addHook('afterConnect', async (connection) => {
      const db = connection as { run: (sql: string, cb: (err: Error | null) => void) => void };
      for (const pragma of [
        'PRAGMA journal_mode = WAL',
        'PRAGMA busy_timeout = 5000',
        'PRAGMA foreign_keys = ON',
      ]) {
        await new Promise<void>((resolve, reject) =>
          db.run(pragma, (err) => (err ? reject(err) : resolve())),
        );
      }
    });
    return sequelize;
  }
  return new Sequelize(databaseUrl, {
    dialect: 'mysql',
    logging,
    dialectOptions: { charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: false },
    define: { charset: 'utf8mb4', collate: 'utf8mb4_bin' },
    pool: { max: 10, min: 0, idle: 10_000, acquire: 30_000 },
  });
}

/** Defines every model on the connection. */
export function defineModels(sequelize: Sequelize): SqlModels {
  return {
    User: defineUserModel(sequelize),
    Session: defineSessionModel(sequelize),
  };
}
