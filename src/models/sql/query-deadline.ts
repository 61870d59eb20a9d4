import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sequelize } from 'sequelize';

/*
 * A deadline on every MySQL query. Sequelize does not pass mysql2's own per-query timeout, and that one leaves
 * the connection in the pool; here a query past its deadline fails and its connection is destroyed.
 *
 * Sequelize internals relied on (sequelize/lib/dialects/mysql/query.js):
 * - `sequelize.dialect.Query`, the class the dialect instantiates for each query: replaced by a subclass;
 * - its `run(sql, parameters)`, which sends the statement, and `this.connection`, the mysql2 connection it
 *   runs on, whose `destroy()` and `stream` (the socket) end it.
 * Pinned by test/integration/sql-mysql-internals.test.ts and test/integration/query-deadline.test.ts (MariaDB).
 */

/** The name of the error a query past its deadline fails with (src/failures/ answers it 503). */
export const QUERY_DEADLINE_ERROR = 'QueryDeadlineExceeded';

/** A query the database did not answer in time; its connection was destroyed, never returned to the pool. */
export class QueryDeadlineExceeded extends Error {
  override name = QUERY_DEADLINE_ERROR;

  constructor(readonly deadlineMs: number) {
    super(`The database did not answer a query within ${deadlineMs} ms.`);
  }
}

const exempt = new AsyncLocalStorage<true>();

/** Runs `work` with no query deadline: a schema migration may rightly take minutes on a large table. */
export function withoutQueryDeadline<T>(work: () => Promise<T>): Promise<T> {
  return exempt.run(true, work);
}

interface MysqlConnection {
  destroy(): void;
  stream?: { destroy(): void };
}

interface DialectQuery {
  connection: MysqlConnection;
  run(sql: string, parameters?: unknown): Promise<unknown>;
}

type QueryClass = new (...args: never[]) => DialectQuery;

/**
 * Bounds every query of a MySQL `sequelize` at `deadlineMs`: past it, the query fails with
 * QueryDeadlineExceeded and its connection is destroyed (mysql2 marks it closing, so the pool validates it
 * away instead of handing a stuck connection to the next request).
 */
export function installQueryDeadline(sequelize: Sequelize, deadlineMs: number): void {
  const dialect = (sequelize as unknown as { dialect: { Query: QueryClass } }).dialect;
  const Base = dialect.Query;
  dialect.Query = class DeadlineQuery extends Base {
    override async run(sql: string, parameters?: unknown): Promise<unknown> {
      const running = super.run(sql, parameters);
      if (exempt.getStore()) return running;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.connection.destroy();
          // mysql2's destroy() only ends the socket politely; a frozen server would keep it half-open.
          this.connection.stream?.destroy();
          reject(new QueryDeadlineExceeded(deadlineMs));
        }, deadlineMs);
      });
      try {
        return await Promise.race([running, deadline]);
      } finally {
        clearTimeout(timer);
      }
    }
  };
}
