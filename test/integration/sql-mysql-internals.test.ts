import { QueryTypes, type Sequelize } from 'sequelize';
import { createLogger } from '../../src/logger';
import { createSequelize } from '../../src/models/sql';
import { createTestDatabase, makeTempDir, type TestDatabase } from '../helpers/databases';

// The Sequelize internals src/models/sql/query-deadline.ts relies on, and the pool split of
// src/models/sql/mysql.ts, each pinned on MariaDB: an upgrade that changes one fails here instead of
// quietly running queries without a deadline.

type QueryClass = abstract new (...args: never[]) => unknown;
interface RunningQuery {
  run?: unknown;
  connection?: { destroy?: unknown; stream?: { destroy?: unknown } };
}
interface Pool {
  size: number;
}

const describeMysql = process.env.TEST_MYSQL_URL ? describe : describe.skip;

describeMysql('the Sequelize internals the MySQL adapter relies on', () => {
  let database: TestDatabase;
  const opened: Sequelize[] = [];
  const open = () => {
    const sequelize = createSequelize(database.url, createLogger({ level: 'silent' }), 2_000);
    opened.push(sequelize);
    return sequelize;
  };

  beforeAll(async () => (database = await createTestDatabase('mysql', makeTempDir())));
  afterAll(async () => {
    await Promise.all(opened.map((sequelize) => sequelize.close()));
    await database.drop();
  });

  it('runs each query as an instance of the deadline subclass of dialect.Query, on a connection it can destroy', async () => {
    const sequelize = open();
    const { Query } = (sequelize as unknown as { dialect: { Query: QueryClass } }).dialect;
    expect(Query.name).toBe('DeadlineQuery');
    const queries: RunningQuery[] = [];
    sequelize.addHook(
      'afterQuery',
      (_options, query) => void queries.push(query as unknown as RunningQuery),
    );
    await sequelize.query('SELECT 1 AS one', { type: QueryTypes.SELECT });
    await sequelize.transaction((transaction) => sequelize.query('SELECT 1', { transaction }));
    expect(queries.length).toBeGreaterThanOrEqual(2);
    for (const query of queries) {
      expect(query).toBeInstanceOf(Query);
      expect(typeof query.run).toBe('function');
      expect(typeof query.connection?.destroy).toBe('function');
      expect(typeof query.connection?.stream?.destroy).toBe('function');
    }
  });

  it('takes reads outside a transaction from a pool of their own, transactions and writes from the other', async () => {
    const sequelize = open();
    const { pool } = sequelize.connectionManager as unknown as {
      pool: { read: Pool; write: Pool };
    };
    await sequelize.query('SELECT 1', { type: QueryTypes.SELECT });
    expect([pool.read.size, pool.write.size]).toEqual([1, 0]);
    await sequelize.transaction((transaction) =>
      sequelize.query('SELECT 1', { type: QueryTypes.SELECT, transaction }),
    );
    await sequelize.query('CREATE TABLE IF NOT EXISTS pools_t (n INT)');
    expect([pool.read.size, pool.write.size]).toEqual([1, 1]);
  });
});
