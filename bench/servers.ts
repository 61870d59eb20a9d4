/**
 * The node servers of the request-rate benchmarks, each in its own process (bench/lib/harness.ts starts
 * them): `depot <dir> [publicDir]` is the real app as bin/www.ts builds it (production mode, JSON access
 * log to <dir>/depot.log); with publicDir its fingerprinted assets come from there. `koa-hello` is a bare Koa app;
 * `node-buffer <file>` is node:http sending one file from memory.
 * Prints {"port": N} when listening; exits on SIGTERM.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import { buildBenchDepot } from './lib/depot';

function listen(handler: http.RequestListener): void {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 5_000; // as bin/www.ts
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

async function depot(dir: string, publicDir?: string): Promise<void> {
  const deps = await buildBenchDepot(dir, {
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    // A file, as nginx writes its access log.
    logFile: path.join(dir, 'depot.log'),
  });
  const { createApp } = await import('../src/app');
  const { loadAssets } = await import('../src/http/assets');
  if (publicDir) deps.assets = await loadAssets(publicDir);
  const { createRequestListener } = await import('../src/server');
  listen(createRequestListener(createApp(deps), deps));
}

function koaHello(): void {
  const app = new Koa();
  app.use(async (ctx) => {
    ctx.body = 'Hello World';
  });
  listen(app.callback());
}

/** node:http answering every request with the bytes of `file` from memory: the ceiling for any node server. */
function nodeBuffer(file: string): void {
  const body = fs.readFileSync(file);
  listen((_req, res) => {
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.end(body);
  });
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'depot') void depot(args[0], args[1]);
else if (mode === 'koa-hello') koaHello();
else if (mode === 'node-buffer') nodeBuffer(args[0]);
else throw new Error(`unknown server ${mode}`);
