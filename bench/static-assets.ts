/**
 * Requests per second for one 4 KiB fingerprinted asset at 32 connections: Depot (production mode, the
 * request listener of bin/www.ts: asset from memory with request id, access log and metrics) vs nginx
 * (sendfile on, one worker, access log on) serving a copy of the same file, in the same run, plus two
 * references: Depot without its access log, and bare node:http. Target (issue 5): Depot >= 0.5x nginx.
 *
 *   npx tsx bench/static-assets.ts [--seconds 10] [--connections 32] [--runs 3] [--nginx-workers 1]
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  arg,
  compare,
  LOAD_TOOL,
  machine,
  nginx,
  nodeServer,
  table,
  type Target,
} from './lib/harness';

const SECONDS = Number(arg('seconds', '10'));
const CONNECTIONS = Number(arg('connections', '32'));
const RUNS = Number(arg('runs', '3'));

/** public/build with a manifest and one 4 KiB stylesheet, as bin/build-assets.ts lays it out. */
function buildPublicDir(dir: string): string {
  const publicDir = path.join(dir, 'public');
  const body = Buffer.from(
    `/* bench */\n${randomBytes(2048).toString('hex')}`.padEnd(4096, ' ').slice(0, 4096),
  );
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  const built = `css/bench.${hash}.css`;
  fs.mkdirSync(path.join(publicDir, 'build', 'css'), { recursive: true });
  fs.writeFileSync(path.join(publicDir, 'build', built), body);
  fs.writeFileSync(
    path.join(publicDir, 'build', 'manifest.json'),
    JSON.stringify({ 'css/bench.css': built }),
  );
  return `/build/${built}`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-bench-assets-'));
  fs.chmodSync(dir, 0o755); // nginx workers run as an unprivileged user
  const targets: Target[] = [];
  try {
    const assetPath = buildPublicDir(dir);
    targets.push(await nginx(dir, path.join(dir, 'public'), assetPath));
    targets.push(await nodeServer('Depot', assetPath, ['depot', dir, path.join(dir, 'public')]));
    // What the per-request access-log line costs: the same app logging warnings only.
    const quiet = path.join(dir, 'quiet');
    fs.mkdirSync(quiet);
    targets.push(
      await nodeServer(
        'Depot, LOG_LEVEL=warn (no access log)',
        assetPath,
        ['depot', quiet, path.join(dir, 'public')],
        {
          LOG_LEVEL: 'warn',
        },
      ),
    );
    // The ceiling for any node server: the same bytes from memory with no framework and no middleware.
    const file = path.join(dir, 'public', assetPath);
    targets.push(await nodeServer('node:http, no framework', '/', ['node-buffer', file]));
    const results = await compare(targets, RUNS, { connections: CONNECTIONS, seconds: SECONDS });
    process.stdout.write(
      `4 KiB fingerprinted asset, ${CONNECTIONS} connections, ${SECONDS} s x ${RUNS} runs (best), ` +
        `${LOAD_TOOL}, ${machine()}\n\n${table(results, 'nginx')}`,
    );
  } finally {
    for (const target of targets) await target.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
