/** Starts a bench server mode (bench/upload-servers.ts by default) in its own node process and reads the JSON line it prints when listening. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { bundleForNode, nodeFlagsFor } from './bundle';

export interface ChildServer<T> {
  child: ChildProcess;
  pid: number;
  info: T & { port: number };
  stop(): Promise<void>;
}

const bundles = new Map<string, string>();

/** Runs `<entry> <args>` (a path under bench/); resolves once it prints its {port, ...} line. */
export async function startChildServer<T>(
  args: string[],
  entry = 'upload-servers.ts',
): Promise<ChildServer<T>> {
  // Plain node on a bundle, as `npm start` runs Depot (tsx's loader would add ~50 MB to the RSS measured).
  const bundled = bundles.get(entry) ?? bundleForNode(path.join(__dirname, '..', entry));
  bundles.set(entry, bundled);
  const child = spawn(process.execPath, [...nodeFlagsFor(args[0]), bundled, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const info = await new Promise<T & { port: number }>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code} before listening`)));
  });
  return {
    child,
    pid: child.pid!,
    info,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A process's peak resident set (VmHWM) and current RSS, in MiB, from /proc. */
export function memoryOf(pid: number): { peakMiB: number; rssMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { peakMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}
