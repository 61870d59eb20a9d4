import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A Depot server in a child process (plain node with tsx's loader, so SIGKILL reaches the server itself). */
export interface ChildDepot {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  exited: Promise<number | null>;
  /** kill -9, resolved once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, resolved once it exited (SIGKILL after 15 s). */
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

/** Starts `bin/www.ts` with `env` (on top of a minimal environment) and resolves once it listens. */
export async function startChildDepot(env: Record<string, string>): Promise<ChildDepot> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/www.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  while (!out.includes('Depot listening')) {
    if (child.exitCode !== null) throw new Error(`Depot exited ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`Depot did not start: ${err}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    port,
    stdout: () => out,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
