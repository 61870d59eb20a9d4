import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, Transaction, type TransactionOptions } from 'sequelize';
import { createWriteQueue, type WriteQueue } from './write-queue';

/*
 * The embedded database, and the one writer SQLite allows. Left to itself, every waiting writer sleeps in
 * SQLite's busy handler on one of libuv's four pool threads, the pool fills, and the file I/O the lock holder
 * needs to finish cannot run (before and after: bench/README.md, "Why the SQL fast paths"). So every write of
 * this process, a transaction or a single statement, takes its turn in one in-process queue and waits there,
 * on the event loop; reads stay concurrent under WAL, and transactions share one writer connection.
 *
 * Sequelize internals relied on (SQLite dialect, sequelize/lib/dialects/sqlite/connection-manager.js):
 * - `connectionManager.getConnection(options)` opens one connection per `options.uuid` (a transaction passes
 *   its id, anything else `default`), keeps it in `connectionManager.connections[uuid]`, and runs no
 *   `afterConnect` hooks: wrapped to tune each new connection, and to give every transaction the `writer` key;
 * - `releaseConnection` / `destroyConnection`, called by a transaction's end: wrapped to keep the writer open,
 *   or to drop it when its commit or rollback failed;
 * - `Transaction#cleanup` / `forceCleanup` (sequelize/lib/transaction.js), run after COMMIT or ROLLBACK: wrapped
 *   on an unmanaged transaction to hand its queue turn on;
 * - `sequelize.query` / `sequelize.transaction`, replaced on the instance to take turns in the queue.
 * Pinned by test/integration/sql-sqlite-internals.test.ts and test/integration/sqlite-writes.test.ts.
 */

/** How long a write waits for its turn before the request fails with 503 (a stuck writer, not load). */
const SQLITE_WRITE_WAIT_MS = 5_000;
/** Only another process (a second instance, `npm run migrate`) can hold the lock now; wait for it this long. */
const BUSY_TIMEOUT_MS = 5_000;

/** Knobs for tests: a zero busy timeout proves that no writer of this process ever waits on SQLite's lock. */
export interface SqliteOptions {
  busyTimeoutMs?: number;
  maxWriteWaitMs?: number;
}

/** A SELECT never takes SQLite's write lock; anything else may, so it queues (a harmless PRAGMA too). */
const READ_STATEMENT = /^\s*SELECT\b/i;

/** Sequelize over a SQLite `file`, every write of this process serialized through one in-process queue. */
export function createSqliteSequelize(
  file: string,
  logging: (sql: string) => void,
  options: SqliteOptions = {},
): Sequelize {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // IMMEDIATE: a transaction takes the write lock at BEGIN, never upgrading a read lock half-way.
  const sequelize = new Sequelize({
    dialect: 'sqlite',
    storage: file,
    logging,
    transactionType: Transaction.TYPES.IMMEDIATE,
  });
  tuneConnections(sequelize, options.busyTimeoutMs ?? BUSY_TIMEOUT_MS);
  shareOneWriterConnection(sequelize);
  serializeWrites(
    sequelize,
    createWriteQueue({ maxWaitMs: options.maxWriteWaitMs ?? SQLITE_WRITE_WAIT_MS }),
  );
  return sequelize;
}

interface SqliteConnection {
  configure(option: 'busyTimeout', ms: number): void;
  run(sql: string, callback: (err: Error | null) => void): void;
  close(callback?: (err: Error | null) => void): void;
}

/** The SQLite dialect's connection manager, as much of it as this file wraps (see the header). */
interface ConnectionManager {
  getConnection(options?: { uuid?: string }): Promise<SqliteConnection>;
  releaseConnection(connection: SqliteConnection): void;
  destroyConnection(connection: SqliteConnection): Promise<void>;
  connections: Record<string, SqliteConnection | undefined>;
}

const managerOf = (sequelize: Sequelize) =>
  sequelize.connectionManager as unknown as ConnectionManager;

/**
 * Sequelize's SQLite dialect opens a new connection per transaction and never runs `afterConnect` hooks,
 * so each new connection is tuned here: WAL, so readers are not blocked by the writer, and a busy timeout
 * for a lock held by another process.
 */
function tuneConnections(sequelize: Sequelize, busyTimeoutMs: number): void {
  const manager = managerOf(sequelize);
  const getConnection = manager.getConnection.bind(manager);
  const tuned = new WeakSet<SqliteConnection>();
  manager.getConnection = async (options) => {
    const connection = await getConnection(options);
    if (!tuned.has(connection)) {
      tuned.add(connection);
      connection.configure('busyTimeout', busyTimeoutMs);
      for (const pragma of ['PRAGMA journal_mode = WAL', 'PRAGMA synchronous = NORMAL']) {
        await new Promise<void>((resolve, reject) =>
          connection.run(pragma, (err) => (err ? reject(err) : resolve())),
        );
      }
    }
    return connection;
  };
}

const WRITER = 'writer';

/**
 * Transactions take turns (serializeWrites), so they can all run on one connection kept open, instead of
 * Sequelize's new connection per transaction (open, pragmas, close: five pool round trips each). A
 * transaction whose commit or rollback failed leaves that connection in an unknown state: it is closed, and
 * the next transaction opens a fresh one.
 */
function shareOneWriterConnection(sequelize: Sequelize): void {
  const manager = managerOf(sequelize);
  const getConnection = manager.getConnection.bind(manager);
  const releaseConnection = manager.releaseConnection.bind(manager);
  const isWriter = (connection: SqliteConnection) => manager.connections[WRITER] === connection;
  manager.getConnection = (options) =>
    getConnection(
      options?.uuid && options.uuid !== 'default' ? { ...options, uuid: WRITER } : options,
    );
  manager.releaseConnection = (connection) => {
    if (!isWriter(connection)) releaseConnection(connection);
  };
  manager.destroyConnection = async (connection) => {
    if (isWriter(connection)) delete manager.connections[WRITER];
    await new Promise<void>((resolve) => connection.close(() => resolve()));
  };
}

type QueryOptions = { transaction?: Transaction | null } | undefined;
type TransactionCallback<T> = (transaction: Transaction) => PromiseLike<T>;

/** Routes every transaction and every write statement outside a transaction through `queue`. */
function serializeWrites(sequelize: Sequelize, queue: WriteQueue): void {
  const query = sequelize.query.bind(sequelize) as (
    sql: unknown,
    options?: QueryOptions,
  ) => Promise<unknown>;
  const transaction = sequelize.transaction.bind(sequelize) as (
    options?: TransactionOptions,
    callback?: TransactionCallback<unknown>,
  ) => Promise<unknown>;

  const patched = sequelize as unknown as {
    query(sql: unknown, options?: QueryOptions): Promise<unknown>;
    transaction(
      options?: TransactionOptions | TransactionCallback<unknown>,
      callback?: TransactionCallback<unknown>,
    ): Promise<unknown>;
  };

  patched.query = (sql, options) => {
    // Statements of a transaction already hold the turn (the transaction took it at BEGIN).
    if (options?.transaction || isRead(sql)) return query(sql, options);
    return queue.run(() => query(sql, options));
  };

  patched.transaction = async (optionsOrCallback, maybeCallback) => {
    const options = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback;
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    // A savepoint inside a transaction runs on its parent's turn.
    if (options?.transaction) return transaction(options, callback);
    if (callback) return queue.run(() => transaction(options, callback));
    // Unmanaged: the turn is held until commit or rollback releases the connection.
    const release = await queue.acquire();
    try {
      const started = (await transaction(options)) as Transaction & {
        cleanup(): void;
        forceCleanup(): Promise<void>;
      };
      const cleanup = started.cleanup.bind(started);
      const forceCleanup = started.forceCleanup.bind(started);
      started.cleanup = () => (cleanup(), release());
      started.forceCleanup = () => forceCleanup().finally(release);
      return started;
    } catch (err) {
      release();
      throw err;
    }
  };
}

function isRead(sql: unknown): boolean {
  const text = typeof sql === 'string' ? sql : (sql as { query?: unknown })?.query;
  return typeof text === 'string' && READ_STATEMENT.test(text);
}
