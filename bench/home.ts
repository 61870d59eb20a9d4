/**
 * Requests per second of the home page (GET / as a guest: the whole middleware stack, a SQL query for
 * recent public files, a Nunjucks render) vs a bare Koa "hello" app, same run, 32 connections.
 *
 *   npx tsx bench/home.ts [--seconds 10] [--connections 32] [--runs 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, compare, LOAD_TOOL, machine, nodeServer, table, type Target } from './lib/harness';

const SECONDS = Number(arg('seconds', '10'));
const CONNECTIONS = Number(arg('connections', '32'));
const RUNS = Number(arg('runs', '3'));

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-bench-home-'));
  const targets: Target[] = [];
  try {
    targets.push(await nodeServer('Koa "hello"', '/', ['koa-hello']));
    targets.push(await nodeServer('Depot home page', '/', ['depot', dir]));
    const results = await compare(targets, RUNS, { connections: CONNECTIONS, seconds: SECONDS });
    process.stdout.write(
      `GET /, ${CONNECTIONS} connections, ${SECONDS} s x ${RUNS} runs (best), ${LOAD_TOOL}, ` +
        `${machine()}\n\n${table(results, 'Koa "hello"')}`,
    );
  } finally {
    for (const target of targets) await target.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
