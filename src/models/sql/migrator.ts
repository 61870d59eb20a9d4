import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from '../../../migrations';
import type { Logger } from '../../logger';

/** The umzug migrator over the list in migrations/index.ts (an explicit list, so tsx, jest and tsc all load it). */
export function createMigrator(sequelize: Sequelize, logger: Logger): Umzug<QueryInterface> {
  return new Umzug({
    migrations: migrations.map((migration) => ({
      name: migration.name,
      up: () => migration.up(sequelize.getQueryInterface()),
      down: () => migration.down(sequelize.getQueryInterface()),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: {
      info: (event) => logger.info(event, 'migration'),
      warn: (event) => logger.warn(event, 'migration'),
      error: (event) => logger.error(event, 'migration'),
      debug: (event) => logger.debug(event, 'migration'),
    },
  });
}

/** Applies every pending migration. */
export async function migrateToLatest(sequelize: Sequelize, logger: Logger): Promise<void> {
  await createMigrator(sequelize, logger).up();
}
