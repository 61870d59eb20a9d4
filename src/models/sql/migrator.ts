import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from '../../../migrations';
import type { Logger } from '../../logger';
import { withMigrationLock } from './migration-lock';
import { withoutQueryDeadline } from './query-deadline';

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

/**
 * Applies every pending migration under the migration lock, so any number of instances may start
 * together on a fresh database. No query deadline: waiting for the lock, or a migration on a large
 * table, may rightly take minutes.
 */
export async function migrateToLatest(sequelize: Sequelize, logger: Logger): Promise<void> {
  await withoutQueryDeadline(() =>
    withMigrationLock(sequelize, logger, () => createMigrator(sequelize, logger).up()),
  );
}
