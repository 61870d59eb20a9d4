import type { ModelStatic, Model, Sequelize } from 'sequelize';
import type { SqlModels } from '../../../src/models/sql';
import { qualified, selectList, sqlTable, type SqlTable } from '../../../src/models/sql/columns';
import { ACTIVITY_TABLE } from '../../../src/models/sql/activity';
import { COMMENT_TABLE } from '../../../src/models/sql/comment';
import { FILE_TABLE } from '../../../src/models/sql/file';
import { SESSION_TABLE } from '../../../src/models/sql/session';
import { SHARE_TABLE } from '../../../src/models/sql/share';
import { UPLOAD_TABLE } from '../../../src/models/sql/upload';
import { USER_TABLE } from '../../../src/models/sql/user';
import { DATABASES } from '../../helpers/databases';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database';

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
  ['Comment', COMMENT_TABLE],
  ['Activity', ACTIVITY_TABLE],
];

describe.each(DATABASES)('the column lists of hand-written SQL (%s)', (kind) => {
  let database: MigratedDatabase;
  let sequelize: Sequelize;
  let models: SqlModels;

  beforeAll(async () => {
    database = await openMigratedDatabase(kind);
    ({ sequelize, models } = database);
  });
  afterAll(() => database.close());

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
