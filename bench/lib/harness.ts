/** Shared pieces of the request-rate benchmarks: child servers, nginx with its own config, wrk/autocannon. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { bundleForNode, nodeFlagsFor } from './bundle';

/** A server under test: where to send requests, and how to stop it. */
export interface Target {
  name: string;
  url: string;
  /** The processes that serve it, for CPU accounting. */
  pids(): number[];
  stop(): Promise<void>;
}

/** One measurement: requests per wall-clock second, and per second of the server's own CPU time. */
export interface Rate {
  perSecond: number;
  perCpuSecond: number;
}

/** `--name value` from the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

/** A port free right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let serversBundle: string | undefined;

/** Runs bench/servers.ts `<mode> ...args` in its own node process; it prints {port} when listening. */
export async function nodeServer(
  name: string,
  urlPath: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Target> {
  // Plain node on a bundle, as `npm start` runs Depot (tsx's loader and source maps are not production).
  serversBundle ??= bundleForNode(path.join(__dirname, '..', 'servers.ts'));
  const child = spawn(process.execPath, [...nodeFlagsFor(args[0]), serversBundle, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`${name} exited ${code} before listening`)));
  });
  return {
    name,
    url: `http://127.0.0.1:${ready.port}${urlPath}`,
    pids: () => [child.pid as number],
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

/** nginx (Debian nginx-light) serving `root` on a random port: one worker, sendfile on, access log on. */
export async function nginx(dir: string, root: string, urlPath: string): Promise<Target> {
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `${name}_temp_path ${dir}/${name};`)
    .join(' ');
  fs.writeFileSync(
    conf,
    `daemon off; worker_processes ${arg('nginx-workers', '1')}; pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types; ${temp}
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  access_log ${dir}/nginx-access.log;
  server { listen 127.0.0.1:${port}; root ${root}; location / { } }
}\n`,
  );
  const child = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir], { stdio: 'inherit' });
  await waitForPort(port);
  return {
    name: 'nginx',
    url: `http://127.0.0.1:${port}${urlPath}`,
    pids: () => [child.pid as number, ...childrenOf(child.pid as number)],
    stop: () => stopChild(child, 'SIGQUIT'),
  };
}

/** Pids whose parent is `pid` (nginx's workers). */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return statFields(Number(name))[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]. */
function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds used so far by `pids` (clock ticks are 1/100 s on Linux). */
function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = statFields(pid);
    return sum + (Number(fields[11]) + Number(fields[12])) / 100;
  }, 0);
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** Which load generator: wrk when installed (C, cheap per request), else autocannon. */
export const LOAD_TOOL = hasWrk() ? 'wrk' : 'autocannon';

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    return (err as { status?: number }).status === 1;
  }
}

/**
 * Requests per second at `connections` for `seconds`, after a short warm-up, and requests per CPU-second
 * of the server (steadier than the wall clock when other work shares the machine). Throws on non-2xx.
 */
export async function requestRate(
  target: Target,
  options: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<Rate> {
  await measure(target.url, { ...options, seconds: 2 });
  const pids = target.pids();
  const cpuBefore = cpuSeconds(pids);
  const { requests, seconds } = await measure(target.url, options);
  const cpu = cpuSeconds(pids) - cpuBefore;
  return { perSecond: requests / seconds, perCpuSecond: requests / cpu };
}

async function measure(
  url: string,
  options: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<{ requests: number; seconds: number }> {
  const headers = Object.entries(options.headers ?? {});
  if (LOAD_TOOL === 'wrk') {
    const out = execFileSync('wrk', [
      '-t1',
      `-c${options.connections}`,
      `-d${options.seconds}s`,
      ...headers.flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
      url,
    ]).toString();
    if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`errors from ${url}:\n${out}`);
    const [, requests, time, unit] = /(\d+) requests in ([\d.]+)(m?s)/.exec(out) ?? [];
    return { requests: Number(requests), seconds: Number(time) / (unit === 'ms' ? 1000 : 1) };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as (opts: object) => Promise<AutocannonResult>;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    headers: Object.fromEntries(headers),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`errors from ${url}`);
  return { requests: result.requests.total, seconds: result.duration };
}

interface AutocannonResult {
  requests: { total: number };
  duration: number;
  non2xx: number;
  errors: number;
}

/** Runs every target `runs` times, alternating (a noisy neighbour hurts all alike); keeps each one's best. */
export async function compare(
  targets: Target[],
  runs: number,
  options: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<Map<string, Rate>> {
  const best = new Map<string, Rate>();
  for (let run = 0; run < runs; run += 1) {
    for (const target of targets) {
      const rate = await requestRate(target, options);
      const previous = best.get(target.name) ?? { perSecond: 0, perCpuSecond: 0 };
      best.set(target.name, {
        perSecond: Math.max(previous.perSecond, rate.perSecond),
        perCpuSecond: Math.max(previous.perCpuSecond, rate.perCpuSecond),
      });
    }
  }
  return best;
}

/** A markdown table of the results, each row with its ratio to `reference`. */
export function table(results: Map<string, Rate>, reference: string): string {
  const ref = results.get(reference) as Rate;
  const rows = [...results].map(
    ([name, rate]) =>
      `| ${name} | ${rate.perSecond.toFixed(0)} | ${(rate.perSecond / ref.perSecond).toFixed(2)}x | ` +
      `${rate.perCpuSecond.toFixed(0)} | ${(rate.perCpuSecond / ref.perCpuSecond).toFixed(2)}x |`,
  );
  return (
    `| server | requests/s | vs ${reference} | requests per CPU-second | vs ${reference} |\n` +
    `|---|---|---|---|---|\n${rows.join('\n')}\n`
  );
}

/** Load average and CPU count, so a reader can judge how busy the machine was. */
export function machine(): string {
  return `${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}, node ${process.version}`;
}
