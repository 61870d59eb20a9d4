/**
 * The servers bench/download.ts compares, each started in its own child process so its peak RSS is
 * its own: `depot <dir> <file>` (the real app, file registered as public) and `bare <file> [hwm]`
 * (node:http piping fs.createReadStream, honouring a single Range). Prints one JSON line when ready.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildBenchDepot } from './lib/depot';

let beforeExit = async () => {};

function peakRssMb(): number {
  const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(hwm) / 1024;
}

function listen(server: http.Server, extra: Record<string, unknown> = {}): void {
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ port, ...extra })}\n`);
  });
  // SIGUSR2 reports the peak so far (the bench reads it between phases); SIGTERM reports and exits.
  process.on('SIGUSR2', () =>
    process.stdout.write(`${JSON.stringify({ maxRssMb: peakRssMb() })}\n`),
  );
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ maxRssMb: peakRssMb() })}\n`);
    void beforeExit().finally(() => process.exit(0));
  });
}

async function depot(dir: string, source: string, sha256: string, root: string): Promise<void> {
  const databaseUrl = process.env.BENCH_MYSQL_URL
    ? await freshMysqlDatabase(process.env.BENCH_MYSQL_URL)
    : `sqlite:${path.join(dir, 'depot.sqlite')}`;
  const deps = await buildBenchDepot(dir, {
    env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    rootDir: root, // the bundle runs from a temp dir: views and public/ are the repository's
  });
  const { createApp } = await import('../src/app');
  const { newId } = await import('../src/lib/ids');
  const owner = await deps.accounts.register({ username: 'bench', password: 'bench password' });
  const id = newId();
  fs.mkdirSync(path.dirname(deps.storage.pathFor(id)), { recursive: true });
  fs.linkSync(source, deps.storage.pathFor(id)); // same bytes, no 1 GiB copy
  const size = fs.statSync(source).size;
  await deps.files.register({
    id,
    owner,
    name: 'big.bin',
    type: 'application/octet-stream',
    size,
    sha256,
    storageKey: id,
  });
  await deps.files.update(id, owner, { visibility: 'public' });
  listen(http.createServer(createApp(deps).callback()), { path: `/files/${id}/download` });
}

/** With BENCH_MYSQL_URL (a server URL), Depot runs on a new MySQL database, dropped at exit. */
async function freshMysqlDatabase(serverUrl: string): Promise<string> {
  const mysql = await import('mysql2/promise');
  const url = new URL(serverUrl);
  const name = `depot_bench_${process.pid}`;
  const admin = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  beforeExit = async () => {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  };
  url.pathname = `/${name}`;
  return url.toString();
}

function bare(file: string, highWaterMark?: number): void {
  const size = fs.statSync(file).size;
  const server = http.createServer((req, res) => {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    res.writeHead(range ? 206 : 200, {
      'Content-Length': end - start + 1,
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    fs.createReadStream(file, { start, end, highWaterMark }).pipe(res);
  });
  listen(server, { path: '/' });
}

const [kind, ...args] = process.argv.slice(2);
if (kind === 'depot') void depot(args[0], args[1], args[2], args[3]);
else bare(args[0], args[1] ? Number(args[1]) : undefined);
