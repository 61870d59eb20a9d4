/**
 * The reference server of bench/requests.ts in its own process (bundled like the other bench servers):
 *   reference <DATABASE_URL> <UPLOAD_DIR> <log file> <APP_KEYS> <JWT_SECRET>   (Depot's, so it reads its cookies)
 * Renders Depot's views/ with Depot's own Nunjucks filters and asset URLs. Prints {"port": N}; exits on SIGTERM.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { referenceApp } from './reference-app';
import { openDatabase, referenceQueries } from './reference-sql';

/** The repository: bundled, this runs from dist/. */
const ROOT = path.resolve(__dirname, '..');

/** Request counter and duration histogram, labels bound once per route as Depot's access recorder does. */
function requestMetrics() {
  const registers = [new Registry()];
  const requests = new Counter({
    name: 'requests_total',
    help: 'requests',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const duration = new Histogram({
    name: 'request_duration_seconds',
    help: 'duration',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers,
  });
  const counters = new Map<string, Counter.Internal>();
  const timers = new Map<string, Histogram.Internal<'method' | 'route'>>();
  return (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${route}`;
    let counter = counters.get(`${key} ${status}`);
    if (!counter) {
      counter = requests.labels({ method, route, status: String(status) });
      counters.set(`${key} ${status}`, counter);
    }
    counter.inc();
    let timer = timers.get(key);
    if (!timer) {
      timer = duration.labels({ method, route });
      timers.set(key, timer);
    }
    timer.observe(seconds);
  };
}

async function main(args: string[]): Promise<void> {
  const [databaseUrl, uploadDir, logFile, appKeys, jwtSecret] = args;
  const { createViews } = await import('../../src/http/views');
  const { loadAssets } = await import('../../src/http/assets');
  const assets = await loadAssets(path.join(ROOT, 'public'));
  const sequelize = await openDatabase(databaseUrl);
  const logger = pino(
    { base: undefined },
    pino.destination({ dest: fs.openSync(logFile, 'a'), sync: false, minLength: 4096 }),
  );
  const app = referenceApp({
    db: referenceQueries(sequelize),
    views: createViews(path.join(ROOT, 'views'), { cache: true, assets }),
    appKeys: appKeys.split(','),
    jwtSecret,
    uploadDir,
    logger,
    observe: requestMetrics(),
  });
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

void main(process.argv.slice(3));
