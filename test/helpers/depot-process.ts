import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** A `tsx bin/www.ts` child process and what it wrote so far. */
export interface DepotProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  stdout: () => string;
  stderr: () => string;
  /** The JSON lines of stdout. */
  logs: () => Record<string, unknown>[];
  exited: Promise<number | null>;
  /** SIGTERM (tsx relays it to node; SIGKILL would orphan that one), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the kernel picks it; Depot binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Runs `tsx bin/www.ts` on 127.0.0.1 with exactly `env` (plus PATH, HOME, HOST and PORT): nothing else of
 * the test's environment leaks in, so a test sees what a bare `npm start` would do.
 */
export async function spawnDepot(env: Record<string, string>): Promise<DepotProcess> {
  const port = await freePort();
  const child = spawn(TSX, ['bin/www.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once Depot logs that it listens; rejects if it exits first or takes over a minute. */
export async function listening(depot: DepotProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!depot.stdout().includes('Depot listening')) {
    if (depot.child.exitCode !== null) {
      throw new Error(`Depot exited ${depot.child.exitCode}: ${depot.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`Depot did not start: ${depot.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
