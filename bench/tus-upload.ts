/**
 * 1 GiB resumable upload through Depot's tus endpoint (one PATCH, and 8 MiB chunks) against a bare node:http
 * server that pipes the body to a file, in the same run. Each server runs in its own child process, so its
 * peak RSS is its own and the client (this process) does not share its event loop. The servers run as
 * plain node on an esbuild bundle of this file (node_modules external), as a compiled deployment would,
 * so tsx's loader (~30-40 MB) is not counted in their memory.
 *
 *   npx tsx bench/tus-upload.ts [--size 1GiB] [--runs 3] [--dir /tmp] [--threads] [--timeline] [--only a,b]
 *   npx tsx bench/tus-upload.ts --patch-latency 1000     (the fixed cost of one PATCH)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatSize, parseSize } from '../src/lib/units';
import { ParallelSha256 } from '../src/storage/parallel-hash';
import { bundleForNode, nodeFlagsFor } from './lib/bundle';
import { buildBenchDepot } from './lib/depot';
import { recyclePageCache, threadCpuSeconds } from './lib/linux';

const CHUNK = 8 * 1024 * 1024;
const BLOCK = randomBytes(CHUNK);

interface Ready {
  port: number;
  token?: string;
  /** RSS when ready, before the upload. */
  rssMb: number;
}

const rssMb = () => process.memoryUsage().rss / 1024 / 1024;
let cpuAtReady = process.cpuUsage();
const cpuSeconds = () => {
  const used = process.cpuUsage(cpuAtReady);
  return (used.user + used.system) / 1e6;
};
interface Done {
  maxRssMb: number;
  /** User + system CPU seconds the server process used since it was ready. */
  cpuSeconds: number;
  sha256?: string;
  /** Per PATCH, server side: ms from the request's start to its body's last byte, and from then to the answer. */
  patches?: { bodyMs: number; tailMs: number }[];
}

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

/** Sends `bytes` (BLOCK repeated) as the body of one request; resolves with the status and headers. */
function send(
  port: number,
  method: string,
  url: string,
  headers: Record<string, string>,
  bytes: number,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        headers: { ...headers, 'Content-Length': String(bytes) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res));
      },
    );
    req.on('error', reject);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left);
        left -= piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function expectedSha256(size: number): string {
  const hash = createHash('sha256');
  for (let left = size; left > 0; left -= CHUNK)
    hash.update(left >= CHUNK ? BLOCK : BLOCK.subarray(0, left));
  return hash.digest('hex');
}

/**
 * The whole body in one request, or (`chunk`) in sequential requests the server appends; resolves with the
 * SHA-256 a hashing server answered.
 */
async function bareUpload(port: number, size: number, chunk = size): Promise<string | undefined> {
  let sha256: string | undefined;
  const url = chunk < size ? '/upload?append' : '/upload';
  for (let offset = 0; offset < size; offset += chunk) {
    const length = Math.min(chunk, size - offset);
    const res = await send(
      port,
      'PUT',
      url,
      { 'Content-Type': 'application/octet-stream' },
      length,
    );
    if (res.statusCode !== 204) throw new Error(`bare: ${res.statusCode}`);
    sha256 = res.headers['x-sha256'] as string | undefined;
  }
  return sha256;
}

async function tusUpload(
  port: number,
  token: string,
  size: number,
  chunk: number,
  onPatch?: (ms: number) => void,
): Promise<string> {
  const auth = { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' };
  const created = await send(
    port,
    'POST',
    '/api/uploads/',
    { ...auth, 'Upload-Length': String(size) },
    0,
  );
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode}`);
  const url = created.headers.location as string;
  for (let offset = 0; offset < size; offset += chunk) {
    const length = Math.min(chunk, size - offset);
    const started = process.hrtime.bigint();
    const res = await send(
      port,
      'PATCH',
      url,
      {
        ...auth,
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': String(offset),
      },
      length,
    );
    if (res.statusCode !== 204) throw new Error(`patch at ${offset}: ${res.statusCode}`);
    onPatch?.(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return url.split('/').pop() as string;
}

const REPO_ROOT = path.resolve(__dirname, '..');

/** This file bundled for plain node (the children), with the packages left to node_modules. */
function bundleSelf(dir: string): string {
  return bundleForNode(__filename, path.join(dir, 'tus-upload-bench.cjs'));
}

let childScript = __filename;

function startChild(mode: string, dir: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(childScript, [mode, dir, REPO_ROOT], {
    stdio: 'inherit',
    execArgv: nodeFlagsFor(mode, mode === 'serve-tus'),
    // The bundle lives in the temp dir; its packages come from the repository.
    env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (ready: Ready) => resolve({ child, ready }));
    child.once('exit', (code) => reject(new Error(`${mode} exited with ${code}`)));
  });
}

function stopChild(child: ChildProcess, request: Record<string, unknown>): Promise<Done> {
  return new Promise((resolve) => {
    child.once('message', (done: Done) => {
      child.kill();
      resolve(done);
    });
    child.send(request);
  });
}

async function measure(
  label: string,
  mode: string,
  dir: string,
  size: number,
  run: (ready: Ready) => Promise<string | void>,
) {
  const { child, ready } = await startChild(mode, dir);
  // Each server writes into page-cache pages the VM has just had in use (see recyclePageCache).
  recyclePageCache(dir, size + RECYCLE_MARGIN);
  const threadsBefore = SHOW_THREADS ? threadCpuSeconds(child.pid as number) : null;
  const clientCpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const id = await run(ready);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (threadsBefore) reportThreads(label, child.pid as number, threadsBefore, clientCpu);
  const done = await stopChild(child, { id: id ?? null });
  if (SHOW_TIMELINE && done.patches?.length) reportTimeline(label, done.patches);
  const mibps = size / 1024 / 1024 / seconds;
  return {
    label,
    seconds,
    mibps,
    idleRssMb: ready.rssMb,
    maxRssMb: done.maxRssMb,
    cpuSeconds: done.cpuSeconds,
    mibPerCpuSecond: size / 1024 / 1024 / done.cpuSeconds,
    // The file row's (tus) or the hashing bare server's answer.
    sha256: done.sha256 ?? (mode.startsWith('serve-bare') ? (id ?? undefined) : undefined),
  };
}

const SHOW_THREADS = process.argv.includes('--threads');
const SHOW_TIMELINE = process.argv.includes('--timeline');

/**
 * `--timeline`: how each PATCH's time splits on the server, reading the body and, after its last byte, the rest
 * (data still queued in the process reaching the file, closing it, the offset UPDATE, the answer). The client sends
 * the next PATCH only after the answer, so the second part is time the connection stands idle.
 */
function reportTimeline(label: string, patches: { bodyMs: number; tailMs: number }[]): void {
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const body = patches.map((patch) => patch.bodyMs);
  const tail = patches.map((patch) => patch.tailMs);
  process.stdout.write(
    `  ${label}: ${patches.length} PATCHes; body median ${median(body).toFixed(2)} ms (total ` +
      `${sum(body).toFixed(0)} ms), after the last byte median ${median(tail).toFixed(2)} ms (total ${sum(tail).toFixed(0)} ms)\n`,
  );
}

/** Recycled beyond the upload's size, for what else the server writes meanwhile (database, logs). */
const RECYCLE_MARGIN = 64 * 1024 * 1024;

/** `--threads`: where a server's CPU went during the upload: its main thread and each other busy thread. */
function reportThreads(
  label: string,
  pid: number,
  before: Map<number, number>,
  clientCpu: NodeJS.CpuUsage,
): void {
  const used = [...threadCpuSeconds(pid)].map(([tid, s]) => [tid, s - (before.get(tid) ?? 0)]);
  const main = used.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = used.filter(([tid, s]) => tid !== pid && s >= 0.05).map(([, s]) => s.toFixed(2));
  const client = process.cpuUsage(clientCpu);
  process.stdout.write(
    `  ${label}: CPU-s client ${((client.user + client.system) / 1e6).toFixed(2)}, server main thread ` +
      `${main.toFixed(2)}, other busy threads [${others.join(', ')}]\n`,
  );
}

/**
 * `--patch-latency N`: one upload of N bytes sent as N sequential 1-byte PATCHes, so each measures the fixed
 * work of a PATCH (authentication, lock, upload row, file, offset UPDATE, answer). The first tenth is warm-up.
 */
async function patchLatency(count: number): Promise<void> {
  const base = fs.mkdtempSync(path.join(arg('dir', os.tmpdir()), 'depot-bench-'));
  childScript = bundleSelf(base);
  const latencies: number[] = [];
  try {
    const r = await measure('tus 1-byte PATCHes', 'serve-tus', base, count, ({ port, token }) =>
      tusUpload(port, token as string, count, 1, (ms) => latencies.push(ms)),
    );
    const warm = latencies.slice(Math.floor(count / 10)).sort((a, b) => a - b);
    const cpuMsPerPatch = (r.cpuSeconds / count) * 1000;
    const at = (q: number) =>
      warm[Math.min(warm.length - 1, Math.floor(warm.length * q))].toFixed(2);
    console.log(
      `${warm.length} PATCHes of 1 byte: median ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms; ` +
        `server CPU ${cpuMsPerPatch.toFixed(2)} ms per PATCH, RSS peak ${r.maxRssMb.toFixed(0)} MB`,
    );
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

async function main() {
  if (process.argv.includes('--patch-latency'))
    return patchLatency(Number(arg('patch-latency', '1000')));
  const size = parseSize(arg('size', '1GiB')) ?? 1024 ** 3;
  const runs = Number(arg('runs', '3'));
  const base = fs.mkdtempSync(path.join(arg('dir', os.tmpdir()), 'depot-bench-'));
  const expected = expectedSha256(size);
  childScript = bundleSelf(base);
  const results: Record<string, Sample[]> = {};
  const record = (r: Sample & { label: string }) => {
    (results[r.label] ??= []).push(r);
    console.log(
      `${r.label.padEnd(20)} ${r.mibps.toFixed(0).padStart(5)} MiB/s  ${r.mibPerCpuSecond.toFixed(0).padStart(5)} MiB/CPU-s  RSS idle ${r.idleRssMb.toFixed(0)} MB, peak ${r.maxRssMb.toFixed(0)} MB`,
    );
  };
  const servers: [string, string, (ready: Ready) => Promise<string | void>][] = [
    ['bare pipe', 'serve-bare', ({ port }) => bareUpload(port, size)],
    // References only: the same pipe made durable (fsync before answering), as Depot does at completion;
    // fed in 8 MiB requests, as the chunked tus upload is (what the round trips alone cost).
    ['bare pipe + fsync', 'serve-bare-sync', ({ port }) => bareUpload(port, size)],
    ['bare pipe, 8 MiB requests', 'serve-bare', ({ port }) => bareUpload(port, size, CHUNK)],
    // And the same pipe hashing what it writes (SHA-256 on its one thread): the cost of the hash alone.
    ['bare pipe + SHA-256', 'serve-bare-sha256', ({ port }) => bareUpload(port, size)],
    // The same pipe with the hash on Depot's hashing thread (as form uploads use it): what "SHA-256 included" costs
    // when it runs beside the pipe, on the other core.
    [
      'bare pipe + SHA-256 thread',
      'serve-bare-sha256-thread',
      ({ port }) => bareUpload(port, size),
    ],
    [
      'tus one PATCH',
      'serve-tus',
      ({ port, token }) => tusUpload(port, token as string, size, size),
    ],
    [
      'tus 8 MiB chunks',
      'serve-tus',
      ({ port, token }) => tusUpload(port, token as string, size, CHUNK),
    ],
  ];
  // `--only a,b`: those servers (labels containing a or b) and the bare pipe, the base of every ratio.
  const only = arg('only', '').split(',').filter(Boolean);
  const chosen = servers.filter(
    ([label]) => label === 'bare pipe' || !only.length || only.some((part) => label.includes(part)),
  );
  try {
    for (let i = 0; i < runs; i += 1) {
      for (const [label, mode, run] of chosen) {
        const r = await measure(label, mode, base, size, run);
        if ((mode === 'serve-tus' || mode.includes('sha256')) && r.sha256 !== expected)
          throw new Error(`${label}: sha256 ${r.sha256} != ${expected}`);
        record(r);
      }
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  printTable(results, size, runs);
}

interface Sample {
  mibps: number;
  mibPerCpuSecond: number;
  idleRssMb: number;
  maxRssMb: number;
}

/** Medians per server as a markdown table, each ratio against the bare pipe. */
function printTable(results: Record<string, Sample[]>, size: number, runs: number): void {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (label: string, key: keyof Sample) => median(results[label].map((r) => r[key]));
  const bare = of('bare pipe', 'mibps');
  const bareCpu = of('bare pipe', 'mibPerCpuSecond');
  console.log(
    `\n${formatSize(size)}, median of ${runs} runs, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}\n`,
  );
  console.log('| server | MiB/s | vs bare | MiB per CPU-second | vs bare | RSS idle | RSS peak |');
  console.log('|---|---|---|---|---|---|---|');
  for (const label of Object.keys(results)) {
    const mibps = of(label, 'mibps');
    const perCpu = of(label, 'mibPerCpuSecond');
    const peak = Math.max(...results[label].map((r) => r.maxRssMb));
    console.log(
      `| ${label} | ${mibps.toFixed(0)} | ${(mibps / bare).toFixed(2)}x | ${perCpu.toFixed(0)} | ${(perCpu / bareCpu).toFixed(2)}x | ${of(label, 'idleRssMb').toFixed(0)} MB | ${peak.toFixed(0)} MB |`,
    );
  }
  printChunkBudget(results);
}

/**
 * What 0.9x of the bare pipe leaves an 8 MiB PATCH, run by run: the time per 8 MiB at 0.9x of the bare pipe's
 * speed, less what the bare pipe's own 8 MiB request took. Everything tus does per request beyond piping the
 * body (authentication, lock, upload row, offset, answer, and the hashing thread's share of the cores) has to
 * fit in it; `--patch-latency` measures that fixed work alone.
 */
function printChunkBudget(results: Record<string, Sample[]>): void {
  const whole = results['bare pipe'];
  const chunked = results['bare pipe, 8 MiB requests'];
  if (!whole || !chunked) return;
  const msPer8MiB = (mibps: number) => ((CHUNK / 1024 / 1024) * 1000) / mibps;
  const budgets = chunked.map((run, i) => msPer8MiB(0.9 * whole[i].mibps) - msPer8MiB(run.mibps));
  console.log(
    `\nPer 8 MiB PATCH, 0.9x of the bare pipe leaves ${budgets.map((ms) => ms.toFixed(2)).join(', ')} ms ` +
      `(run by run) beyond the bare pipe's own 8 MiB request.`,
  );
}

/** How a bare server hashes what it writes: not at all, on its one thread, or on a worker thread. */
type BareHash = 'none' | 'inline' | 'thread';

/** A Transform that passes chunks on and hashes them: on Depot's hashing thread when given one, else inline. */
function hashingTap(hasher: ParallelSha256 | null) {
  const inline = createHash('sha256');
  const job = hasher?.start() ?? null;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (job) job.update(chunk, () => done(null, chunk));
      else {
        inline.update(chunk);
        done(null, chunk);
      }
    },
  });
  return { tap, digest: async () => (job ? job.digest() : inline.digest('hex')) };
}

/**
 * Child: a bare node:http server piping each body to a file, or appending it (`?append`), and for the
 * fsync reference row, syncing it before answering.
 */
async function serveBare(dir: string, sync: boolean, hash: BareHash = 'none') {
  const target = path.join(dir, `bare-${process.pid}.bin`);
  const hasher = hash === 'thread' ? new ParallelSha256() : null;
  const server = http.createServer(async (req, res) => {
    try {
      const append = req.url?.endsWith('?append');
      const file = fs.createWriteStream(target, { flags: append ? 'a' : 'w' });
      if (hash !== 'none') {
        const { tap, digest } = hashingTap(hasher);
        await pipeline(req, tap, file);
        res.setHeader('X-Sha256', await digest());
      } else await pipeline(req, file);
      if (sync) {
        const handle = await fsp.open(target, 'r+');
        await handle.sync();
        await handle.close();
      }
      res.writeHead(204).end();
    } catch {
      res.writeHead(500).end();
    }
  });
  await listen(server);
  process.on('message', () => {
    fs.rmSync(target, { force: true });
    process.send?.({ maxRssMb: process.resourceUsage().maxRSS / 1024, cpuSeconds: cpuSeconds() });
  });
}

/** Child: the real Depot app (SQLite, local disk) with one user and a token. */
async function serveTus(dir: string, rootDir: string) {
  const work = fs.mkdtempSync(path.join(dir, 'tus-'));
  const deps = await buildBenchDepot(work, {
    env: { MAX_UPLOAD_BYTES: '100GiB', LOG_LEVEL: 'warn' },
    rootDir,
  });
  const { createApp } = await import('../src/app');
  const user = await deps.accounts.register({ username: 'bench', password: 'bench-password-1' });
  const handle = createApp(deps).callback();
  const patches: { bodyMs: number; tailMs: number }[] = [];
  const server = http.createServer((req, res) => {
    if (req.method === 'PATCH') {
      const started = performance.now();
      let bodyEnded = started;
      req.once('end', () => {
        bodyEnded = performance.now();
      });
      res.once('finish', () =>
        patches.push({ bodyMs: bodyEnded - started, tailMs: performance.now() - bodyEnded }),
      );
    }
    void handle(req, res);
  });
  const port = await listen(server, false);
  cpuAtReady = process.cpuUsage();
  process.send?.({ port, token: deps.tokens.issue(user).access_token, rssMb: rssMb() });
  process.on('message', async ({ id }: { id: string }) => {
    const file = await deps.files.findVisible(id, user);
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    const cpu = cpuSeconds();
    await deps.close();
    fs.rmSync(work, { recursive: true, force: true });
    process.send?.({ maxRssMb, cpuSeconds: cpu, sha256: file.sha256, patches });
  });
}

async function listen(server: http.Server, announce = true): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cpuAtReady = process.cpuUsage();
  if (announce) process.send?.({ port, rssMb: rssMb() });
  return port;
}

const [mode, dir, rootDir] = process.argv.slice(2);
// A child stopped with SIGTERM exits normally, so profiles and the like are written.
if (mode?.startsWith('serve-')) process.on('SIGTERM', () => process.exit(0));
if (mode === 'serve-bare') void serveBare(dir, false);
else if (mode === 'serve-bare-sync') void serveBare(dir, true);
else if (mode === 'serve-bare-sha256') void serveBare(dir, false, 'inline');
else if (mode === 'serve-bare-sha256-thread') void serveBare(dir, false, 'thread');
else if (mode === 'serve-tus') void serveTus(dir, rootDir);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
