/**
 * Download throughput of one big file on 127.0.0.1: Depot (GET /files/:id/download of a public file,
 * the full app stack) vs nginx (Debian nginx-light, sendfile on) vs bare node:http piping
 * fs.createReadStream (64 KiB default reads, and 1 MiB reads). Single curl stream for the whole file
 * and for `Range: bytes=<half>-`; then 32 concurrent wrk clients each fetching a random 1 MiB range.
 *
 *   npx tsx bench/download.ts [--size 1GiB] [--runs 3] [--seconds 10] [--dir /tmp]
 *     [--servers nginx,depot,bare]   (a subset, to iterate on one; ratios need nginx in the same run)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseSize } from '../src/lib/units';
import { bundleForNode, nodeFlagsFor } from './lib/bundle';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const SIZE = parseSize(arg('size', '1GiB')) ?? 1024 ** 3;
const RUNS = Number(arg('runs', '3'));
const SECONDS = Number(arg('seconds', '10'));
const MIB = 1024 * 1024;

interface Target {
  name: string;
  url: string;
  /** Peak RSS so far in MB (null for nginx, which is several processes). */
  peak(): Promise<number | null>;
  stop(): Promise<number | null>;
}

function makeFile(dir: string): { file: string; sha256: string } {
  const file = path.join(dir, 'big.bin');
  const block = randomFillSync(Buffer.alloc(16 * MIB));
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  for (let written = 0; written < SIZE; written += block.length) {
    const piece = block.subarray(0, Math.min(block.length, SIZE - written));
    fs.writeSync(fd, piece);
    hash.update(piece);
  }
  fs.closeSync(fd);
  return { file, sha256: hash.digest('hex') };
}

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * download-servers.ts bundled for plain node, packages left to node_modules (as bench/tus-upload.ts does):
 * a compiled deployment's memory and CPU, without tsx's loader and source maps in the server process.
 */
function bundleServers(dir: string): string {
  return bundleForNode(
    path.join(__dirname, 'download-servers.ts'),
    path.join(dir, 'download-servers.cjs'),
  );
}

let serversScript = path.join(__dirname, 'download-servers.ts');

async function nodeChild(name: string, args: string[]): Promise<Target> {
  const child = spawn(process.execPath, [...nodeFlagsFor(args[0]), serversScript, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The bundle lives in the temp dir; its packages come from the repository.
    env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) =>
      lines.once('line', (l) => resolve(JSON.parse(l))),
    );
  const ready = await next();
  return {
    name,
    url: `http://127.0.0.1:${ready.port}${ready.path}`,
    async peak() {
      const report = next();
      child.kill('SIGUSR2');
      return Number((await report).maxRssMb);
    },
    async stop() {
      const done = next();
      child.kill('SIGTERM');
      return Number((await done).maxRssMb);
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function nginx(dir: string): Promise<Target> {
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `daemon off; worker_processes auto; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; root ${dir}; location / { } } }\n`,
  );
  const child: ChildProcess = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir], {
    stdio: 'inherit',
  });
  for (let i = 0; i < 50; i += 1) {
    const ok = await new Promise((r) =>
      net
        .connect(port, '127.0.0.1')
        .on('connect', function (this: net.Socket) {
          this.destroy();
          r(true);
        })
        .on('error', () => r(false)),
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'nginx',
    url: `http://127.0.0.1:${port}/big.bin`,
    peak: async () => null,
    async stop() {
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
      return null;
    },
  };
}

/** Best of RUNS curl transfers, in GiB/s. */
function curlSpeed(url: string, headers: string[] = []): number {
  let best = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const out = execFileSync('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{speed_download}',
      ...headers.flatMap((h) => ['-H', h]),
      url,
    ]);
    best = Math.max(best, Number(out.toString()) / 1024 ** 3);
  }
  return best;
}

/** Requests per second of 32 connections fetching random 1 MiB ranges for SECONDS. */
function wrkRanges(url: string, dir: string): number {
  const script = path.join(dir, 'range.lua');
  fs.writeFileSync(
    script,
    `local size = ${SIZE}
init = function(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)) end
request = function()
  local start = math.random(0, size - ${MIB})
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. start .. "-" .. (start + ${MIB - 1}) })
end
response = function(status) if status ~= 206 then error("status " .. status) end end\n`,
  );
  const out = execFileSync('wrk', ['-t2', '-c32', `-d${SECONDS}s`, '-s', script, url]).toString();
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(arg('dir', os.tmpdir()), 'depot-bench-'));
  try {
    const { file, sha256 } = makeFile(dir);
    serversScript = bundleServers(dir);
    const wanted = new Set(arg('servers', 'nginx,depot,bare').split(','));
    const targets: Target[] = [];
    if (wanted.has('nginx')) targets.push(await nginx(dir));
    if (wanted.has('depot'))
      targets.push(
        await nodeChild('depot', ['depot', path.join(dir, 'depot'), file, sha256, REPO_ROOT]),
      );
    if (wanted.has('bare')) {
      targets.push(await nodeChild('bare node (64 KiB reads)', ['bare', file]));
      targets.push(await nodeChild('bare node (1 MiB reads)', ['bare', file, String(MIB)]));
    }
    const rows: string[] = [];
    const mb = (value: number | null) => (value === null ? '-' : value.toFixed(0));
    for (const target of targets) {
      const idle = await target.peak();
      curlSpeed(target.url); // warm the page cache and the server
      const full = curlSpeed(target.url);
      const half = curlSpeed(target.url, [`Range: bytes=${Math.floor(SIZE / 2)}-`]);
      const streaming = await target.peak();
      const rps = wrkRanges(target.url, dir);
      const rss = await target.stop();
      rows.push(
        `| ${target.name} | ${full.toFixed(2)} | ${half.toFixed(2)} | ${rps.toFixed(0)} | ${mb(idle)} / ${mb(streaming)} / ${mb(rss)} |`,
      );
    }
    process.stdout.write(
      `file ${SIZE} bytes, ${os.cpus().length} CPUs, node ${process.version}\n\n` +
        '| server | full GiB/s | half (Range) GiB/s | 1 MiB random ranges, 32 conns, req/s | peak RSS MB: idle / after single streams / after 32 conns |\n|---|---|---|---|---|\n' +
        `${rows.join('\n')}\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
