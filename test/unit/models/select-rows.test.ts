import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createLogger } from '../../../src/logger';
import { createSequelize } from '../../../src/models/sql';
import { selectRows } from '../../../src/models/sql/select-rows';
import { createTestDatabase, DATABASES } from '../../helpers/databases';

/** What the SQLite driver really executes (its `trace` event), while `work` runs. */
async function statementsRun(sequelize: Sequelize, work: () => Promise<unknown>) {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options: object): Promise<NodeJS.EventEmitter>;
  };
  const connection = await manager.getConnection({});
  const seen: string[] = [];
  const listen = (sql: string) => seen.push(sql);
  connection.on('trace', listen);
  try {
    await work();
  } finally {
    connection.off('trace', listen);
  }
  return seen;
}

describe.each(DATABASES)('selectRows (%s)', (kind) => {
  let dir: string;
  let sequelize: Sequelize;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-select-rows-'));
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

  if (kind === 'sqlite') {
    it('runs the one statement, where a plain sequelize.query runs PRAGMA table_info first', async () => {
      const plain = await statementsRun(sequelize, () =>
        sequelize.query(SQL, { replacements: ['a'], type: QueryTypes.SELECT }),
      );
      expect(plain.some((sql) => /PRAGMA table_info/i.test(sql))).toBe(true);
      const ours = await statementsRun(sequelize, () => selectRows(sequelize, SQL, ['a']));
      expect(ours).toEqual([expect.stringContaining('FROM `things`')]);
    });
  }
});
