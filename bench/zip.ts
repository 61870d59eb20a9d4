/**
 * A folder of 1,000 files (4 GiB of real bytes, made once in a temp dir) downloaded as a zip on 127.0.0.1 with
 * curl to /dev/null: a bare node:http server streaming it through yazl (the same library, no Content-Length:
 * yazl's own estimate is 76 bytes off for this many entries) vs a small Koa app using
 * src/features/archives/ as a route would (planZip, Content-Length, streamZip). Rounds alternate between the
 * two; each server runs in its own node process (an esbuild bundle of this file), so its peak RSS is its own.
 *
 *   npx tsx bench/zip.ts [--size 4GiB] [--files 1000] [--rounds 3] [--dir /tmp]
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { ZipFile } from 'yazl';
import { planZip, streamZip, zipLength } from '../src/features/archives/zip-writer';
import { parseSize } from '../src/lib/units';
import { memoryOf, startChildServer, type ChildServer } from './lib/child-server';
import { arg, machine } from './lib/harness';
import { threadCpuSeconds } from './lib/linux';

const MIB = 1024 * 1024;
// Both servers read their files 1 MiB at a time (bench/download.ts: 64 KiB reads cost node a third of its speed).
const READ_BYTES = MIB;
const FILE_MODE = 0o100644;

interface Listed {
  name: string;
  file: string;
  size: number;
  mtime: Date;
}

/** The folder's files in name order, as a database query would list them before the archive starts. */
function listFolder(dir: string): Listed[] {
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      const { size, mtime } = fs.statSync(file);
      return { name, file, size, mtime };
    });
}

const read = (file: string) => fs.createReadStream(file, { highWaterMark: READ_BYTES });

function listen(server: http.Server): void {
  // A clean exit on SIGTERM, so BENCH_NODE_ARGS="--cpu-prof ..." profiles get written.
  process.on('SIGTERM', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
}

/** node:http and yazl, nothing else: what the same library gives without Koa or the archives module. */
function bareServer(dir: string): void {
  const files = listFolder(dir);
  const server = http.createServer((_req, res) => {
    const zip = new ZipFile();
    for (const { name, file, size, mtime } of files) {
      const options = { size, mtime, compress: false, mode: FILE_MODE };
      zip.addReadStreamLazy(name, options, (give) => give(null, read(file)));
    }
    zip.end();
    res.writeHead(200, { 'content-type': 'application/zip' });
    zip.outputStream.pipe(res);
  });
  listen(server);
}

/** A Koa app with the route a folder download will have: exact length first, then the stream. */
function koaServer(dir: string): void {
  const files = listFolder(dir);
  const app = new Koa();
  app.use(async (ctx) => {
    const plan = planZip(
      files.map(({ name, file, size, mtime }) => ({
        path: name,
        size,
        mtime,
        open: async () => read(file),
      })),
    );
    ctx.type = 'application/zip';
    ctx.attachment('folder.zip');
    ctx.length = plan.length;
    ctx.body = streamZip(plan);
  });
  listen(http.createServer(app.callback()));
}

/** Writes `count` files of real (random, distinct) bytes adding up to `total` into `dir`. */
function makeFolder(dir: string, total: number, count: number): void {
  fs.mkdirSync(dir);
  const block = randomFillSync(Buffer.alloc(16 * MIB));
  const each = Math.floor(total / count);
  for (let i = 0; i < count; i += 1) {
    const fd = fs.openSync(path.join(dir, `file-${String(i).padStart(4, '0')}.bin`), 'w');
    for (let written = 0; written < each;) {
      const start = (i * 4099 + written) % (block.length - MIB);
      const piece = block.subarray(start, start + Math.min(MIB, each - written));
      written += fs.writeSync(fd, piece);
    }
    fs.closeSync(fd);
  }
}

const cpuOf = (pid: number) => [...threadCpuSeconds(pid).values()].reduce((a, b) => a + b, 0);

interface Round {
  mibPerSecond: number;
  mibPerCpuSecond: number;
}

/**
 * One download with curl to /dev/null; checks the status, that exactly `expected` bytes came and, when the
 * server announced a Content-Length (the Koa route), that it was that length.
 */
function download(server: ChildServer<object>, expected: number, announced: boolean): Round {
  const before = cpuOf(server.pid);
  const out = execFileSync('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{size_download} %{speed_download} %header{content-length}',
    `http://127.0.0.1:${server.info.port}/folder.zip`,
  ]).toString();
  const cpu = cpuOf(server.pid) - before;
  const [status, size, speed, length] = out.split(' ').map(Number);
  if (status !== 200 || size !== expected || length !== (announced ? expected : 0))
    throw new Error(`got ${out}, expected 200 ${expected} bytes`);
  return { mibPerSecond: speed / MIB, mibPerCpuSecond: size / MIB / cpu };
}

async function main(): Promise<void> {
  const total = parseSize(arg('size', '4GiB')) ?? 4 * 1024 ** 3;
  const count = Number(arg('files', '1000'));
  const rounds = Number(arg('rounds', '3'));
  const work = fs.mkdtempSync(path.join(arg('dir', os.tmpdir()), 'depot-bench-zip-'));
  const servers: ChildServer<object>[] = [];
  try {
    const folder = path.join(work, 'folder');
    makeFolder(folder, total, count);
    const expected = zipLength(listFolder(folder).map(({ name, size }) => ({ path: name, size })));
    const names = ['bare node:http + yazl', 'Koa + src/features/archives'];
    servers.push(await startChildServer(['bare', folder], 'zip.ts'));
    // Named depot… so it runs with the node flags of `npm start` (bench/lib/bundle.ts).
    servers.push(await startChildServer(['depot-koa', folder], 'zip.ts'));
    const results: Round[][] = [[], []];
    // Alternating, and the order flipped every other round: neither server always runs right after the other.
    for (let round = 0; round < rounds; round += 1)
      for (const i of round % 2 === 0 ? [0, 1] : [1, 0])
        results[i].push(download(servers[i], expected, i === 1));
    const best = results.map((list) => Math.max(...list.map((r) => r.mibPerSecond)));
    process.stdout.write(
      `${machine()}; ${count} files, ${(total / 1024 ** 3).toFixed(1)} GiB, archive ${expected} bytes\n\n` +
        '| server | MiB/s by round | best MiB/s | vs bare | MiB per CPU-second (best) | peak RSS MB |\n' +
        '|---|---|---|---|---|---|\n',
    );
    servers.forEach((server, i) => {
      const perRound = results[i].map((r) => r.mibPerSecond.toFixed(0)).join(' / ');
      const perCpu = Math.max(...results[i].map((r) => r.mibPerCpuSecond)).toFixed(0);
      const ratio = i === 0 ? '' : `${(best[i] / best[0]).toFixed(2)}x`;
      const peak = memoryOf(server.pid).peakMiB.toFixed(0);
      process.stdout.write(
        `| ${names[i]} | ${perRound} | ${best[i].toFixed(0)} | ${ratio} | ${perCpu} | ${peak} |\n`,
      );
    });
  } finally {
    for (const server of servers) await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const [mode, dir] = process.argv.slice(2);
if (mode === 'bare') bareServer(dir);
else if (mode === 'depot-koa') koaServer(dir);
else
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
