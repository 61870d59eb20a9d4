/**
 * GET /files with 10,000 files in the database: requests/s at 32 connections (autocannon), beside a bare Koa app
 * rendering the same template (views/pages/files/index.njk) from constant data, in the same run.
 *   npx tsx bench/files-page.ts [--files 10000] [--connections 32] [--seconds 10]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryOf, startChildServer } from './lib/child-server';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

const fileCount = Number(arg('files', '10000'));
const connections = Number(arg('connections', '32'));
const seconds = Number(arg('seconds', '10'));

/** Signs in through the real login form; returns the Cookie header of the session. */
async function signIn(base: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  const cookies = form.headers.getSetCookie().map((cookie) => cookie.split(';')[0]);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookies.join('; ') },
    body: new URLSearchParams({ _csrf: csrf, username, password }),
  });
  if (login.status !== 303) throw new Error(`sign-in answered ${login.status}`);
  return login.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}
// autocannon ships no types; this is the part of its result the table needs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: object) => Promise<AutocannonResult>;

async function rate(url: string, headers: Record<string, string>, duration: number) {
  const result = await autocannon({ url, connections, duration, headers });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-bench-files-'));
  const depot = await startChildServer<{ username: string; password: string }>([
    'depot-files',
    dir,
    String(fileCount),
  ]);
  const bare = await startChildServer<object>(['koa-template']);
  try {
    const base = `http://127.0.0.1:${depot.info.port}`;
    const cookie = await signIn(base, depot.info.username, depot.info.password);
    const page = await fetch(`${base}/files`, { headers: { Cookie: cookie } });
    const html = await page.text();
    if (page.status !== 200 || !html.includes(`${fileCount} files`))
      throw new Error(`the files page did not list ${fileCount} files (status ${page.status})`);
    const targets: { name: string; url: string; headers: Record<string, string> }[] = [
      {
        name: `Depot GET /files (${fileCount} files, signed in)`,
        url: `${base}/files`,
        headers: { Cookie: cookie },
      },
      // BENCH_EXTRA=1 adds a signed-in page without file queries: the cost of sessions and the layout alone.
      ...(process.env.BENCH_EXTRA
        ? [
            {
              name: 'Depot GET /files/new (signed in)',
              url: `${base}/files/new`,
              headers: { Cookie: cookie },
            },
          ]
        : []),
      {
        name: 'bare Koa + same template, constant data',
        url: `http://127.0.0.1:${bare.info.port}/`,
        headers: {},
      },
    ];
    const results: { name: string; rps: number; p99: number }[] = [];
    for (const target of targets) {
      await rate(target.url, target.headers, 2); // warm-up
      const result = await rate(target.url, target.headers, seconds);
      results.push({ name: target.name, rps: result.requests.average, p99: result.latency.p99 });
    }
    const reference = results[results.length - 1].rps;
    console.log(
      `| server (${connections} connections, ${seconds} s, autocannon) | requests/s | p99 ms | ratio |`,
    );
    console.log('|---|---|---|---|');
    for (const row of results)
      console.log(
        `| ${row.name} | ${row.rps.toFixed(0)} | ${row.p99} | ${(row.rps / reference).toFixed(2)}x |`,
      );
    console.log(`\nDepot peak RSS (VmHWM): ${memoryOf(depot.pid).peakMiB.toFixed(0)} MiB`);
  } finally {
    await depot.stop();
    await bare.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
