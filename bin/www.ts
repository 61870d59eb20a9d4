/** Starts Depot: config, connections, migrations, HTTP server, and a graceful stop on SIGTERM/SIGINT. */
import './threadpool';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { createDeps } from '../src/deps';
import { createLogger } from '../src/logger';
import { migrateToLatest } from '../src/models/sql/migrator';
import { withoutQueryDeadline } from '../src/models/sql/query-deadline';
import { createRequestListener, createServer } from '../src/server';
import { logGeneratedSecrets, readStartupConfigOrExit, withRetry } from './boot';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const startup = readStartupConfigOrExit();
  const { config } = startup;
  const logger = createLogger({ level: config.logLevel });
  logGeneratedSecrets(logger, startup);
  const deps = await createDeps(config, logger, { processMetrics: true });
  const retryLog = (name: string, error: Error, delayMs: number) =>
    logger.warn(
      { service: name, error: error.message, retryInMs: delayMs },
      'service unavailable, retrying',
    );
  await withRetry('database', () => deps.sequelize.authenticate(), retryLog);
  // A schema change may rightly take minutes on a large table: no query deadline for migrations.
  await withoutQueryDeadline(() => migrateToLatest(deps.sequelize, logger));
  await deps.start?.();

  const app = createApp(deps);
  const server = createServer(createRequestListener(app, deps), config.timeouts);
  // A port already in use must end start-up with one clear line, not an uncaught 'error' event.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  logger.info(
    { port, host: config.host, env: config.env },
    `Depot listening on http://localhost:${port}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; closing them');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    const closeAndExit = async () => {
      clearTimeout(force);
      let code = 0;
      try {
        await deps.close();
        logger.info('stopped');
      } catch (err) {
        code = 1;
        logger.error({ err }, 'closing connections failed');
      }
      logger.flush();
      process.exit(code);
    };
    // closeAndExit catches its own failures and ends the process: nothing is left to await.
    server.close(() => void closeAndExit());
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`Depot could not start: ${err.message}\n`);
  process.exit(1);
});
