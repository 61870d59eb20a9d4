import { QueryTypes, type Sequelize } from 'sequelize';
import type { SqlModels } from '../../../src/models/sql';
import { columnLiteral, runUpdate } from '../../../src/models/sql/raw-update';
import { DATABASES } from '../../helpers/databases';
import { openMigratedDatabase, type MigratedDatabase } from './migrated-database';

// The Sequelize internal raw-update.ts relies on: QueryGenerator#escape(value, attribute) formats a value as
// the column's data type writes it. These fail if it goes away or stops keeping DATE(3)'s milliseconds.
describe.each(DATABASES)('columnLiteral and runUpdate (%s)', (kind) => {
  let database: MigratedDatabase;
  let sequelize: Sequelize;
  let models: SqlModels;
  const at = new Date('2026-01-02T03:04:05.678Z');

  beforeAll(async () => {
    database = await openMigratedDatabase(kind);
    ({ sequelize, models } = database);
    await models.User.create({ id: 'owner', username: 'owner', passwordHash: null, role: 'user' });
  });
  afterAll(() => database.close());

  it("renders a time as the column's DATE(3) type writes it, milliseconds included", () => {
    expect(columnLiteral(models.Upload, 'updatedAt')(at)).toMatch(/^'2026-01-02 03:04:05\.678/);
  });

  it('writes a time back to the millisecond, as the model stores it', async () => {
    await models.Upload.create({ id: 'by-raw', ownerId: 'owner', size: 5, metadata: '{}' });
    const literal = columnLiteral(models.Upload, 'updatedAt')(at);
    await runUpdate(
      sequelize,
      `UPDATE \`uploads\` SET \`updated_at\` = ${literal} WHERE \`id\` = ?`,
      ['by-raw'],
    );
    expect((await models.Upload.findByPk('by-raw'))?.updatedAt.toISOString()).toBe(
      at.toISOString(),
    );

    // The stored text too (SQLite keeps dates as text, compared as text): the model's own write of the
    // same time, on a DATE(3) column it does not stamp itself.
    const file = { id: 'file', ownerId: 'owner', name: 'f', size: 1, type: 't', sha256: 's' };
    await models.File.create({ ...file, storageKey: 'k' });
    const share = { fileId: 'file', maxDownloads: null, passwordHash: null };
    await models.Share.create({ ...share, id: 'by-model', token: 'a', expiresAt: at });
    const stored = await sequelize.query<{ text: string }>(
      "SELECT CONCAT('', `updated_at`) AS `text` FROM `uploads` WHERE `id` = 'by-raw'" +
        " UNION ALL SELECT CONCAT('', `expires_at`) FROM `shares` WHERE `id` = 'by-model'",
      { type: QueryTypes.SELECT },
    );
    expect(stored[0]?.text).toBe(stored[1]?.text);
  });

  it('refuses an attribute the model does not have', () => {
    expect(() => columnLiteral(models.Upload, 'nope')).toThrow(/Upload has no attribute nope/);
  });
});
