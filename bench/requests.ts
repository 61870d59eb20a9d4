/**
 * Requests per CPU-second of six dynamic requests, Depot against a bare Koa reference doing the same
 * queries and rendering the same templates (bench/lib/reference-app.ts), on SQLite and MariaDB.
 * Depot runs as `npm start` runs it (bin/www.ts bundled, its node flags, NODE_ENV=production), seeded
 * through its own forms and API; the reference reads the same database, cookie and token. Each request is
 * measured on both sides alternately, `runs` rounds, wrk after a 2 s warm-up; CPU is the server
 * process's utime+stime from /proc over the run.
 *   npx tsx bench/requests.ts [--db sqlite,mysql] [--runs 3] [--seconds 10] [--connections 16] [--files 30]
 *   [--only "GET /files"]
 * --db mysql makes a fresh database (test/helpers/databases.ts) on TEST_MYSQL_URL's server
 * (default mysql://root@127.0.0.1:3306/), dropped afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../test/helpers/databases';
import { memoryOf, startChildServer } from './lib/child-server';
import { seedDepot, type Seeded } from './lib/depot-seed';
import { freshSecrets, startDepotWww } from './lib/depot-www';
import { arg, LOAD_TOOL, machine, requestRate, type Rate, type Target } from './lib/harness';
import {
  checkSameAnswers,
  ratioTable,
  type BenchRequest,
  type Measured,
} from './lib/requests-report';

const RUNS = Number(arg('runs', '3'));
const SECONDS = Number(arg('seconds', '10'));
const CONNECTIONS = Number(arg('connections', '16'));
const FILES = Number(arg('files', '30'));
const FILE_BYTES = 4096;

function requests(seeded: Seeded): BenchRequest[] {
  const bearer = { Authorization: `Bearer ${seeded.token}` };
  const cookie = { Cookie: seeded.cookie };
  const file = seeded.fileIds[0];
  return [
    { label: 'GET /api/me (bearer)', path: '/api/me', headers: bearer },
    { label: 'GET /api/files/:id (bearer)', path: `/api/files/${file}`, headers: bearer },
    { label: 'GET /api/files (bearer, 20 rows)', path: '/api/files', headers: bearer },
    { label: 'GET /files (cookie, 25 rows)', path: '/files', headers: cookie },
    { label: 'GET /files/new (cookie)', path: '/files/new', headers: cookie },
    {
      label: '4 KiB /files/:id/download (cookie)',
      path: `/files/${file}/download`,
      headers: cookie,
    },
  ].filter((request) => request.label.includes(arg('only', '')));
}

const at = (base: string, pid: number, name: string, urlPath: string): Target => ({
  name,
  url: `${base}${urlPath}`,
  pids: () => [pid],
  stop: async () => undefined,
});

async function measureDatabase(kind: 'sqlite' | 'mysql'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `depot-bench-requests-${kind}-`));
  process.env.TEST_MYSQL_URL ??= 'mysql://root@127.0.0.1:3306/';
  const database = await createTestDatabase(kind, dir);
  const secrets = freshSecrets();
  const depot = await startDepotWww(dir, database.url, secrets);
  const uploadDir = path.join(dir, 'uploads');
  const reference = await startChildServer<object>(
    [
      'reference',
      database.url,
      uploadDir,
      path.join(dir, 'reference.log'),
      secrets.appKeys,
      secrets.jwtSecret,
    ],
    'lib/reference-server.ts',
  );
  const refBase = `http://127.0.0.1:${reference.info.port}`;
  try {
    const seeded = await seedDepot(depot.url, FILES, FILE_BYTES);
    const list = requests(seeded);
    await checkSameAnswers(depot.url, refBase, list);
    const results = new Map<string, Measured>(
      list.map((r) => [r.label, { depot: [], reference: [] }]),
    );
    for (let round = 0; round < RUNS; round += 1)
      for (const request of list) {
        const options = { connections: CONNECTIONS, seconds: SECONDS, headers: request.headers };
        const measured = results.get(request.label) as Measured;
        const depotRate: Rate = await requestRate(
          at(depot.url, depot.pid, 'Depot', request.path),
          options,
        );
        measured.depot.push(depotRate);
        measured.reference.push(
          await requestRate(at(refBase, reference.pid, 'reference', request.path), options),
        );
      }
    const rss = (pid: number) => {
      const { peakMiB, rssMiB } = memoryOf(pid);
      return `${rssMiB.toFixed(0)} MB (peak ${peakMiB.toFixed(0)} MB)`;
    };
    process.stdout.write(
      `\n${kind === 'sqlite' ? 'SQLite' : 'MariaDB'}: ${CONNECTIONS} connections, ${SECONDS} s x ${RUNS} rounds ` +
        `(medians; ratio range over the rounds), ${LOAD_TOOL}, ${machine()}\n\n` +
        `${ratioTable(results)}\nRSS after the rounds: Depot ${rss(depot.pid)}, reference ${rss(reference.pid)}\n`,
    );
  } finally {
    await depot.stop();
    await reference.stop();
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const kind of arg('db', 'sqlite,mysql').split(','))
    await measureDatabase(kind === 'mysql' ? 'mysql' : 'sqlite');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
