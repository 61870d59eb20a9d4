import { Sequelize } from 'sequelize';
import { installQueryDeadline } from './query-deadline';

/*
 * MySQL/MariaDB: pools and bounds. Only public Sequelize options here (`replication`, `pool`,
 * `dialectOptions`); the one internal, the per-query deadline, is in query-deadline.ts. The split of reads
 * and writes into two pools is pinned by test/integration/sql-mysql-internals.test.ts.
 */

/** How long a MySQL call may wait by default: connecting, taking a pooled connection, each query. */
const DEFAULT_MYSQL_TIMEOUT_MS = 5_000;

/**
 * Sequelize over MySQL/MariaDB. A frozen or unreachable server cannot hold a request: the handshake
 * (connectTimeout), the wait for a pooled connection (acquire) and each query are bounded by `timeoutMs`.
 * Reads outside a transaction take their connections from a pool of their own (Sequelize's replication
 * split, both sides on the same server), so a burst of upload transactions waiting on each other's row
 * locks cannot hold every connection while page views wait behind them.
 */
export function createMysqlSequelize(
  databaseUrl: string,
  logging: (sql: string) => void,
  timeoutMs = DEFAULT_MYSQL_TIMEOUT_MS,
): Sequelize {
  const sequelize = new Sequelize(databaseUrl, {
    dialect: 'mysql',
    logging,
    dialectOptions: {
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: false,
      connectTimeout: timeoutMs,
    },
    define: { charset: 'utf8mb4', collate: 'utf8mb4_bin' },
    replication: { read: [{}], write: {} },
    pool: { max: 10, min: 0, idle: 10_000, acquire: timeoutMs },
  });
  installQueryDeadline(sequelize, timeoutMs);
  return sequelize;
}
