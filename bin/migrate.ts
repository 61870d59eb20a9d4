/** `npm run migrate`: applies pending migrations (`-- down` undoes the last one). */
import { createLogger } from '../src/logger';
import { withMigrationLock } from '../src/models/sql/migration-lock';
import { createMigrator } from '../src/models/sql/migrator';
import { createSequelize } from '../src/models/sql';
import { withoutQueryDeadline } from '../src/models/sql/query-deadline';
import { readConfigOrExit } from './boot';

async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger({ level: config.logLevel });
  const sequelize = createSequelize(config.databaseUrl, logger);
  const migrator = createMigrator(sequelize, logger);
  // A schema change may rightly take minutes on a large table: no query deadline for migrations.
  // Under the same lock as a starting server, so `npm run migrate` never races one.
  await withoutQueryDeadline(() =>
    withMigrationLock(sequelize, logger, () =>
      process.argv.includes('down') ? migrator.down() : migrator.up(),
    ),
  );
  await sequelize.close();
}

main().catch((err: Error) => {
  process.stderr.write(`Migration failed: ${err.message}\n`);
  process.exit(1);
});
