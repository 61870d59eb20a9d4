import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createLogger } from '../../../src/logger';
import { createSequelize } from '../../../src/models/sql';
import { selectRows } from '../../../src/models/sql/raw-select';
import { createTestDatabase, DATABASES } from '../../helpers/databases';

const FENCE = "SELECT 'trace fence'";

type TracedConnection = NodeJS.EventEmitter & {
  get(sql: string, done: (err: Error | null) => void): void;
};

/**
 * Records what the SQLite driver really executes (its `trace` event). The listener stays for the whole
 * suite: removing it turns tracing off asynchronously, which could outrun a new listener turning it back
 * on. Trace events come from the driver's thread and may arrive after the query's callback, so a fence
 * statement runs last on the same (serial) connection, and the statements traced before it are the answer.
 */
async function traceStatements(sequelize: Sequelize) {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options: object): Promise<TracedConnection>;
  };
  const connection = await manager.getConnection({});
  let seen: string[] = [];
  let fenced: () => void = () => undefined;
  connection.on('trace', (sql: string) => (sql === FENCE ? fenced() : seen.push(sql)));
  return async function statementsRun(work: () => Promise<unknown>): Promise<string[]> {
    seen = [];
    const fence = new Promise<void>((resolve) => (fenced = resolve));
    await work();
    await new Promise<void>((resolve, reject) =>
      connection.get(FENCE, (err) => (err ? reject(err) : resolve())),
    );
    await fence;
    return seen;
  };
}

describe.each(DATABASES)('selectRows (%s)', (kind) => {
  let dir: string;
  let sequelize: Sequelize;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-raw-select-'));
    const database = await createTestDatabase(kind, dir);
    drop = database.drop;
    sequelize = createSequelize(database.url, createLogger({ level: 'silent' }));
    await sequelize.query('CREATE TABLE `things` (`id` VARCHAR(22) PRIMARY KEY, `size` BIGINT)');
    await sequelize.query("INSERT INTO `things` VALUES ('a', 5), ('b', 7)");
  });
  afterAll(async () => {
    await sequelize.close();
    await drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const SQL = 'SELECT `id`, `size` FROM `things` WHERE `id` = ? LIMIT 1';

  it('returns plain rows, with the replacement bound (not spliced)', async () => {
    expect(await selectRows(sequelize, SQL, ['b'])).toEqual([{ id: 'b', size: 7 }]);
    expect(await selectRows(sequelize, SQL, ["a' OR '1'='1"])).toEqual([]);
  });

  // Pins the Sequelize internal raw-select.ts relies on: the SQLite dialect reads the `tableNames` option.
  if (kind === 'sqlite') {
    it('runs the one statement, where a plain sequelize.query runs PRAGMA table_info first', async () => {
      const statementsRun = await traceStatements(sequelize);
      const plain = await statementsRun(() =>
        sequelize.query(SQL, { replacements: ['a'], type: QueryTypes.SELECT }),
      );
      expect(plain.some((sql) => /PRAGMA table_info/i.test(sql))).toBe(true);
      const ours = await statementsRun(() => selectRows(sequelize, SQL, ['a']));
      expect(ours).toEqual([expect.stringContaining('FROM `things`')]);
    });
  }
});
