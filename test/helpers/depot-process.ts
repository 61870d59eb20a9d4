import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** What the tests that want a test server (not a bare `npm start`) add to a Depot process's environment. */
export const TEST_ENV = { NODE_ENV: 'test', LOG_LEVEL: 'info' };

/** A Depot server in a child process and what it wrote so far. */
export interface DepotProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  stdout: () => string;
  stderr: () => string;
  /** The JSON lines of stdout. */
  logs: () => Record<string, unknown>[];
  exited: Promise<number | null>;
  /** kill -9, resolved once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, resolved once it exited (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the kernel picks it; the server binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Polls `check` every 100 ms until it returns true; rejects with `${what} did not start within ${ms} ms`, or
 * with the error `check` threw (a check throws to give up early, e.g. when the process exited).
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not start within ${ms} ms`);
}

/** Polls `probe` every 25 ms until it gives a value (a log line, a file), failing after `ms` with `what`. */
export async function waitFor<T>(
  probe: () => T | undefined,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Collects a child's output as text. */
function capture(stream: NodeJS.ReadableStream | null): () => string {
  let text = '';
  stream?.on('data', (chunk) => (text += chunk));
  return () => text;
}

/**
 * Runs `bin/www.ts` on 127.0.0.1 and a free port with exactly `env` (plus PATH, HOME, HOST and PORT), so nothing
 * of the test's environment leaks in. Plain node with tsx's loader (no tsx CLI in between), so signals, kill -9
 * included, reach the server itself. Does not wait: see `listening` and `startDepot`.
 */
export async function spawnDepot(env: Record<string, string>): Promise<DepotProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/www.ts'], {
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
  const stdout = capture(child.stdout);
  const stderr = capture(child.stderr);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    stdout,
    stderr,
    logs: () =>
      stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    async kill9() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once Depot logs that it listens; rejects (with its stderr) if it exits first or takes over a minute. */
async function listening(depot: DepotProcess): Promise<void> {
  const listens = () => {
    const { exitCode, signalCode } = depot.child;
    if (exitCode !== null || signalCode !== null)
      throw new Error(`Depot exited ${exitCode ?? signalCode}`);
    return depot.stdout().includes('Depot listening');
  };
  await waitUntil(listens, 'Depot', 60_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${depot.stderr()}`);
  });
}

/** `spawnDepot`, then `listening`: a Depot ready for requests. */
export async function startDepot(env: Record<string, string>): Promise<DepotProcess> {
  const depot = await spawnDepot(env);
  // One that never listens is not left running behind the failed test.
  await listening(depot).catch(async (error: Error) => {
    await depot.kill9();
    throw error;
  });
  return depot;
}
