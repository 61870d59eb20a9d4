/** Depot as production runs it: the bundle of bin/www.ts under plain node with `npm start`'s flags. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleForNode, nodeFlagsFor } from './bundle';
import type { Target } from './harness';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The keys the server and a reference share, so a reference can read Depot's cookies and tokens. */
export interface Secrets {
  appKeys: string;
  jwtSecret: string;
}

/** Fresh production secrets for one run. */
export function freshSecrets(): Secrets {
  return {
    appKeys: randomBytes(32).toString('base64url'),
    jwtSecret: randomBytes(32).toString('base64url'),
  };
}

let bundled: string | undefined;

/** Waits until `file` has a line matching `pattern` (the server's log), or the child exits. */
async function waitForLine(file: string, pattern: RegExp, exited: () => boolean): Promise<string> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const line = text.split('\n').find((entry) => pattern.test(entry));
    if (line) return line;
    if (exited()) throw new Error(`Depot exited before listening:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Depot did not listen within 30 s (${file})`);
}

/**
 * Starts `node <npm start flags> dist/www.cjs` (bin/www.ts bundled as `npm run build` does) with
 * NODE_ENV=production on `databaseUrl`, uploads under `dir`, its JSON log (access lines at info) in
 * <dir>/depot.log. Resolves once it logs that it listens.
 */
export async function startDepotWww(
  dir: string,
  databaseUrl: string,
  secrets: Secrets,
): Promise<Target & { pid: number; log: string }> {
  bundled ??= bundleForNode(path.join(REPO_ROOT, 'bin', 'www.ts'));
  const log = path.join(dir, 'depot.log');
  const out = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [...nodeFlagsFor('depot'), bundled], {
    cwd: dir,
    stdio: ['ignore', out, 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      APP_KEYS: secrets.appKeys,
      JWT_SECRET: secrets.jwtSecret,
      DATABASE_URL: databaseUrl,
      UPLOAD_DIR: path.join(dir, 'uploads'),
      DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
  });
  fs.closeSync(out);
  const line = await waitForLine(log, /Depot listening/, () => child.exitCode !== null);
  const { port } = JSON.parse(line) as { port: number };
  return {
    name: 'Depot',
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    log,
    pids: () => [child.pid as number],
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
