import fs from 'node:fs';
import type { Sequelize } from 'sequelize';
import { createLogger } from '../../../src/logger';
import { createSequelize, defineModels, type SqlModels } from '../../../src/models/sql';
import { migrateToLatest } from '../../../src/models/sql/migrator';
import { createTestDatabase, makeTempDir, type DatabaseKind } from '../../helpers/databases';

/** A fresh database of `kind` with every migration applied and the models defined; `close` removes it. */
export interface MigratedDatabase {
  sequelize: Sequelize;
  models: SqlModels;
  close(): Promise<void>;
}

/** Opens a fresh, migrated database (a SQLite file in a temp dir, or a new MariaDB database). */
export async function openMigratedDatabase(kind: DatabaseKind): Promise<MigratedDatabase> {
  const dir = makeTempDir('depot-models-');
  const database = await createTestDatabase(kind, dir);
  const logger = createLogger({ level: 'silent' });
  const sequelize = createSequelize(database.url, logger);
  await migrateToLatest(sequelize, logger);
  return {
    sequelize,
    models: defineModels(sequelize),
    async close() {
      await sequelize.close();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
