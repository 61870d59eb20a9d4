import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AppDeps } from '../../src/deps';

/**
 * The real Depot dependencies for a benchmark's server process: production config with fresh secrets, a new
 * SQLite database (or `env.DATABASE_URL`) and upload directory under `dir`, migrated and started; JSON logs
 * go to `logFile` (default /dev/null) at `env.LOG_LEVEL` (default info), buffered as bin/www.ts writes
 * its stdout. The app's modules are imported here, on call, so a bare
 * reference server in the same bundle carries none of them.
 */
export async function buildBenchDepot(
  dir: string,
  options: { env?: Record<string, string>; rootDir?: string; logFile?: string } = {},
): Promise<AppDeps> {
  const { loadConfig } = await import('../../src/config');
  const { createDeps } = await import('../../src/deps');
  const { bufferedDestination, createLogger } = await import('../../src/logger');
  const { migrateToLatest } = await import('../../src/models/sql/migrator');
  const config = loadConfig({
    NODE_ENV: 'production',
    APP_KEYS: randomBytes(32).toString('base64url'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
    DATABASE_URL: `sqlite:${path.join(dir, 'depot.sqlite')}`,
    UPLOAD_DIR: path.join(dir, 'uploads'),
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logger = createLogger(
    { level: config.logLevel },
    bufferedDestination(options.logFile ?? '/dev/null'),
  );
  // Cheap password hashing: benchmarks register users, they do not measure scrypt.
  const deps = await createDeps(config, logger, {
    hashParams: { logN: 10, r: 8, p: 1 },
    rootDir: options.rootDir,
  });
  await migrateToLatest(deps.sequelize, logger);
  await deps.start?.();
  return deps;
}
