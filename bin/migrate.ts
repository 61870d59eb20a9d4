/** `npm run migrate`: applies pending migrations (`-- down` undoes the last one). */
import { createLogger } from '../src/logger';
import { createMigrator } from '../src/models/sql/migrator';
import { createSequelize } from '../src/models/sql';
import { readConfigOrExit } from './boot';

async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger({ level: config.logLevel });
  const sequelize = createSequelize(config.databaseUrl, logger);
  const migrator = createMigrator(sequelize, logger);
  if (process.argv.includes('down')) await migrator.down();
  else await migrator.up();
  await sequelize.close();
}

main().catch((err: Error) => {
  process.stderr.write(`Migration failed: ${err.message}\n`);
  process.exit(1);
});
