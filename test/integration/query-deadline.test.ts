import { createLogger } from '../../src/logger';
import { createSequelize } from '../../src/models/sql';
import { QueryDeadlineExceeded, withoutQueryDeadline } from '../../src/models/sql/query-deadline';
import { dependencyFailure } from '../../src/failures/dependencies';
import { createTestDatabase, makeTempDir, type TestDatabase } from '../helpers/databases';
import { QueryTypes, type Sequelize } from 'sequelize';

const DEADLINE_MS = 1000;
const connectionId = async (sequelize: Sequelize) =>
  ((await sequelize.query('SELECT CONNECTION_ID() AS id', { plain: true })) as { id: number }).id;

// The query deadline is MySQL's (SQLite runs in-process): only with TEST_MYSQL_URL.
const describeMysql = process.env.TEST_MYSQL_URL ? describe : describe.skip;

describeMysql('MySQL query deadline', () => {
  let database: TestDatabase;
  let sequelize: Sequelize;

  beforeAll(async () => {
    database = await createTestDatabase('mysql', makeTempDir());
    sequelize = createSequelize(database.url, createLogger({ level: 'silent' }), DEADLINE_MS);
  });

  afterAll(async () => {
    await sequelize.close();
    await database.drop();
  });

  it('fails a query past the deadline with QueryDeadlineExceeded, answered 503 naming the database', async () => {
    const started = Date.now();
    const err = await sequelize.query('SELECT SLEEP(5)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryDeadlineExceeded);
    // Well before the query's own 5 s: the deadline, not the server, ended the wait.
    expect(Date.now() - started).toBeLessThan(4000);
    expect(dependencyFailure(err)).toMatchObject({
      status: 503,
      message: 'Depot cannot reach its database right now. Try again in a moment.',
      headers: { 'Retry-After': '5' },
    });
  });

  it('destroys the stuck connection instead of handing it to the next query', async () => {
    const before = await connectionId(sequelize);
    // A SELECT, like CONNECTION_ID(): both take their connection from the read pool.
    await expect(
      sequelize.query('SELECT SLEEP(5)', { type: QueryTypes.SELECT }),
    ).rejects.toBeInstanceOf(QueryDeadlineExceeded);
    // The pool holds one idle connection at most here; the stuck one must not come back.
    const after = await connectionId(sequelize);
    expect(after).not.toBe(before);
    await expect(sequelize.query('SELECT 1 + 1 AS two', { plain: true })).resolves.toEqual({
      two: 2,
    });
  });

  it('rolls back a transaction whose query passed the deadline, and the next transaction works', async () => {
    await sequelize.query('CREATE TABLE IF NOT EXISTS deadline_t (n INT)');
    const err = await sequelize
      .transaction(async (transaction) => {
        await sequelize.query('INSERT INTO deadline_t VALUES (1)', { transaction });
        await sequelize.query('SELECT SLEEP(5)', { transaction });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryDeadlineExceeded);
    await sequelize.transaction(async (transaction) => {
      await sequelize.query('INSERT INTO deadline_t VALUES (2)', { transaction });
    });
    const rows = await sequelize.query('SELECT n FROM deadline_t ORDER BY n', { plain: false });
    expect(rows[0]).toEqual([{ n: 2 }]);
  });

  it('lets a slow query finish inside withoutQueryDeadline (migrations)', async () => {
    const result = await withoutQueryDeadline(() =>
      sequelize.query('SELECT SLEEP(1.5) AS slept', { plain: true }),
    );
    expect(result).toEqual({ slept: 0 });
  });
});
