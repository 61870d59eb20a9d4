/**
 * The servers of bench/upload-form.ts and bench/files-page.ts, each run in its own process:
 *   depot <dir>          the real app (production mode, logs to /dev/null) with one user; prints {port, token}
 *   bare-pipe <file>     node:http piping every request body to <file>; prints {port}
 *   depot-files <dir> N  the real app with one user owning N files; prints {port, username, password}
 *   koa-template         a bare Koa app rendering views/pages/files/index.njk from constant data; prints {port}
 *   depot-team <dir> N [DATABASE_URL]  the real app with N users (SQLite under <dir>, or the database given);
 *                        prints {port, tokens}
 * Listens on 127.0.0.1; exits on SIGTERM.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import { buildBenchDepot } from './lib/depot';

const ROOT = path.resolve(__dirname, '..');

function listen(handler: http.RequestListener, extra: Record<string, unknown> = {}): void {
  const server = http.createServer(handler);
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ port, ...extra })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

async function buildDepot(dir: string, env: Record<string, string> = {}) {
  const deps = await buildBenchDepot(dir, { env: { MAX_UPLOAD_BYTES: '20GiB', ...env } });
  const { createApp } = await import('../src/app');
  const password = 'bench password 1';
  const user = await deps.accounts.register({ username: 'bench', password });
  return { app: createApp(deps), deps, user, password };
}

async function depot(dir: string): Promise<void> {
  const { app, deps, user } = await buildDepot(dir);
  listen(app.callback(), { token: deps.tokens.issue(user).access_token });
}

async function depotTeam(dir: string, users: number, databaseUrl?: string): Promise<void> {
  const { app, deps, user } = await buildDepot(
    dir,
    databaseUrl ? { DATABASE_URL: databaseUrl } : {},
  );
  const team = [user];
  for (let index = 1; index < users; index += 1)
    team.push(
      await deps.accounts.register({ username: `bench${index}`, password: 'bench password 1' }),
    );
  listen(app.callback(), { tokens: team.map((member) => deps.tokens.issue(member).access_token) });
}

async function depotFiles(dir: string, count: number): Promise<void> {
  const { app, deps, user, password } = await buildDepot(dir);
  const { newId } = await import('../src/lib/ids');
  const types = ['application/pdf', 'image/png', 'text/plain', 'video/mp4'];
  for (let start = 0; start < count; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => {
      const index = start + offset;
      const id = newId();
      return {
        id,
        ownerId: user.id,
        name: `document-${String(index).padStart(5, '0')}.${['pdf', 'png', 'txt', 'mp4'][index % 4]}`,
        size: (index * 7919) % 50_000_000,
        type: types[index % 4],
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        storageKey: id,
        visibility: index % 5 === 0 ? ('public' as const) : ('private' as const),
        createdAt: new Date(Date.UTC(2026, 0, 1) + index * 60_000),
        updatedAt: new Date(Date.UTC(2026, 0, 1) + index * 60_000),
      };
    });
    await deps.models.File.bulkCreate(rows);
  }
  listen(app.callback(), { username: user.username, password });
}

function barePipe(file: string): void {
  listen((req, res) => {
    const out = fs.createWriteStream(file);
    req.pipe(out);
    out.on('finish', () => res.end('stored\n'));
  });
}

/** The same page Depot renders for 25 of 10,000 files, from constant data: the template cost alone. */
async function koaTemplate(): Promise<void> {
  const { loadAssets } = await import('../src/http/assets');
  const { createViews } = await import('../src/http/views');
  const assets = await loadAssets(path.join(ROOT, 'public'));
  const views = createViews(path.join(ROOT, 'views'), { cache: true, assets });
  const created = new Date(Date.UTC(2026, 0, 1));
  const files = Array.from({ length: 25 }, (_, index) => ({
    id: `AAAAAAAAAAAAAAAAAAAA${String(index).padStart(2, '0')}`,
    name: `document-${String(9999 - index).padStart(5, '0')}.pdf`,
    size: 1_234_567,
    type: 'application/pdf',
    visibility: 'private',
    createdAt: created,
  }));
  const locals = {
    productName: 'Depot',
    user: { id: 'u', username: 'bench' },
    currentPath: '/files',
    flash: [],
    csrfToken: () => 'constant-csrf-token-for-the-benchmark-page',
    files,
    total: 10_000,
    query: { sort: 'date', order: 'desc', page: 1, perPage: 25 },
    pages: 400,
    usage: { used: 123_456_789_012, quota: null },
    showComments: false,
  };
  const app = new Koa();
  app.use(async (ctx) => {
    ctx.type = 'html';
    ctx.body = views.render('pages/files/index.njk', locals);
  });
  listen(app.callback());
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'depot') void depot(args[0]);
else if (mode === 'depot-team') void depotTeam(args[0], Number(args[1]), args[2]);
else if (mode === 'depot-files') void depotFiles(args[0], Number(args[1]));
else if (mode === 'bare-pipe') barePipe(args[0]);
else if (mode === 'koa-template') void koaTemplate();
else throw new Error(`unknown server ${mode}`);
