import fs from 'node:fs';
import type { ModelStatic, Model, Sequelize } from 'sequelize';
import { createLogger } from '../../../src/logger';
import { createSequelize, defineModels, type SqlModels } from '../../../src/models/sql';
import { qualified, selectList, sqlTable, type SqlTable } from '../../../src/models/sql/columns';
import { FILE_TABLE } from '../../../src/models/sql/file';
import { migrateToLatest } from '../../../src/models/sql/migrator';
import { SESSION_TABLE } from '../../../src/models/sql/session';
import { SHARE_TABLE } from '../../../src/models/sql/share';
import { UPLOAD_TABLE } from '../../../src/models/sql/upload';
import { USER_TABLE } from '../../../src/models/sql/user';
import { createTestDatabase, DATABASES, makeTempDir } from '../../helpers/databases';

describe('sqlTable', () => {
  const table = sqlTable('things', { id: 1, ownerId: 1, sha256: 1, wechatOpenid: 1 });

  it('maps each attribute to its snake_case column, bare and quoted', () => {
    expect(table).toEqual({
      name: 'things',
      quotedName: '`things`',
      columns: { id: 'id', ownerId: 'owner_id', sha256: 'sha256', wechatOpenid: 'wechat_openid' },
      quoted: {
        id: '`id`',
        ownerId: '`owner_id`',
        sha256: '`sha256`',
        wechatOpenid: '`wechat_openid`',
      },
    });
  });

  it('lists columns named by their attribute, so raw rows are keyed like model instances', () => {
    expect(selectList(table, ['id', 'ownerId'])).toBe('`id`, `owner_id` AS `ownerId`');
    expect(qualified(table, 'ownerId', 'Thing')).toBe('`Thing`.`owner_id`');
  });
});

const TABLES: [keyof SqlModels, SqlTable<string>][] = [
  ['File', FILE_TABLE],
  ['Upload', UPLOAD_TABLE],
  ['Share', SHARE_TABLE],
  ['User', USER_TABLE],
  ['Session', SESSION_TABLE],
];

describe.each(DATABASES)('the column lists of hand-written SQL (%s)', (kind) => {
  let dir: string;
  let sequelize: Sequelize;
  let models: SqlModels;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    dir = makeTempDir('depot-columns-');
    const database = await createTestDatabase(kind, dir);
    drop = database.drop;
    const logger = createLogger({ level: 'silent' });
    sequelize = createSequelize(database.url, logger);
    await migrateToLatest(sequelize, logger);
    models = defineModels(sequelize);
  });
  afterAll(async () => {
    await sequelize.close();
    await drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(TABLES)('%s: the model maps each attribute to the same column', (name, table) => {
    const model = models[name] as unknown as ModelStatic<Model>;
    const fields = Object.entries(model.getAttributes()).map(([attribute, definition]) => [
      attribute,
      definition.field,
    ]);
    expect(model.getTableName()).toBe(table.name);
    expect(Object.fromEntries(fields)).toEqual(table.columns);
  });

  it.each(TABLES)('%s: the migrated table has exactly these columns', async (_name, table) => {
    const described = await sequelize.getQueryInterface().describeTable(table.name);
    expect(Object.keys(described).sort()).toEqual(Object.values(table.columns).sort());
  });
});
