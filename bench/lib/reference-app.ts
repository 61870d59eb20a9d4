/**
 * The reference of bench/requests.ts: bare Koa + @koa/router doing, for the six measured requests, what
 * Depot must do and nothing it may skip: the signed session cookie or the bearer JWT checked, the session
 * and user rows read (token version compared), the file or the page of rows and its totals read, the
 * same Nunjucks templates rendered with the same locals, a download counted and its activity row
 * written, the file statted and streamed; every answer with Depot's security headers, a request id, a
 * JSON access-log line and its request metrics.
 */
import { createSecretKey, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import contentDisposition from 'content-disposition';
import jwt from 'jsonwebtoken';
import Koa, { type Context, type Next } from 'koa';
import type nunjucks from 'nunjucks';
import type { Logger } from 'pino';
import type { FileRow, ReferenceQueries, UserRow } from './reference-sql';

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

/** What the reference app needs: its statements, Depot's views, secrets, storage root, log and metrics. */
export interface ReferenceDeps {
  db: ReferenceQueries;
  views: nunjucks.Environment;
  appKeys: string[];
  jwtSecret: string;
  uploadDir: string;
  logger: Logger;
  /** Counts and times one finished request. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

type Session = Record<string, unknown>;

const userJson = (user: UserRow) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  created_at: user.createdAt.toISOString(),
});

/** The API's file fields, in Depot's order, then its dates, owner and link. */
const fileJson = ({ id, name, size, type, sha256, visibility, ...file }: FileRow) => ({
  ...{ id, name, size, type, sha256, visibility },
  created_at: file.createdAt.toISOString(),
  updated_at: file.updatedAt.toISOString(),
  owner: { id: file.ownerId, username: file.ownerName },
  download_url: `/api/files/${id}/download`,
});

/** Builds the reference app (no I/O until requests come). */
export function referenceApp(deps: ReferenceDeps): Koa {
  const { db } = deps;
  // A KeyObject, as Depot passes it: given a string or Buffer, jsonwebtoken first tries it as a public key.
  const secret = createSecretKey(Buffer.from(deps.jwtSecret));
  const app = new Koa({ keys: deps.appKeys });
  // The session read by sessionUser, for render (Depot's ctx.state has no place for it).
  const sessions = new WeakMap<Context, Session>();

  async function context(ctx: Context, next: Next) {
    const started = process.hrtime.bigint();
    const reqId = randomUUID();
    ctx.set(SECURITY_HEADERS);
    ctx.set('X-Request-Id', reqId);
    ctx.res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? '(unmatched)';
      deps.observe(ctx.method, route, ctx.status, seconds);
      const ms = Math.round(seconds * 1000);
      deps.logger.info({ reqId, method: ctx.method, route, status: ctx.status, ms }, 'request');
    });
    ctx.set('Cache-Control', 'no-store');
    await next();
  }

  /** Signed session cookie -> session row -> user row, token version compared (as Depot's sessionUser). */
  async function sessionUser(ctx: Context, next: Next) {
    const sid = ctx.cookies.get('depot.sid', { signed: true });
    const session = sid ? await db.session(sid) : null;
    if (!session || !(Number(session._expire) > Date.now())) ctx.throw(401);
    sessions.set(ctx, session);
    const user = typeof session.userId === 'string' ? await db.user(session.userId) : null;
    if (!user || user.tokenVersion !== session.tokenVersion) ctx.throw(401);
    ctx.state.user = user;
    await next();
  }

  /** Bearer JWT (HS256, issuer, audience) -> user row, token version compared (as Depot's apiAuth). */
  async function bearerUser(ctx: Context, next: Next) {
    const token = /^Bearer (.+)$/.exec(ctx.get('Authorization'))?.[1] ?? '';
    const claims = jwt.verify(token, secret, {
      algorithms: ['HS256'],
      issuer: 'depot',
      audience: 'depot-api',
    }) as { sub: string; ver: number };
    const user = await db.user(claims.sub);
    if (!user || user.tokenVersion !== claims.ver) ctx.throw(401);
    ctx.state.user = user;
    await next();
  }

  /** Depot's layout locals, the session's flash taken (the session saved only if there was one). */
  async function render(ctx: Context, view: string, locals: Record<string, unknown>) {
    const session = sessions.get(ctx);
    const flash = (session?.flash as unknown[] | undefined) ?? [];
    if (session?.flash) {
      delete session.flash;
      await db.saveSession(ctx.cookies.get('depot.sid') as string, session);
    }
    ctx.type = 'html';
    ctx.body = deps.views.render(view, {
      productName: 'Depot',
      user: ctx.state.user,
      currentPath: ctx.path,
      flash,
      csrfToken: () => session?.csrf,
      ...locals,
    });
  }

  async function visibleFile(ctx: Context): Promise<FileRow> {
    const file = /^[A-Za-z0-9_-]{22}$/.test(ctx.params.id) ? await db.file(ctx.params.id) : null;
    if (!file || (file.visibility !== 'public' && file.ownerId !== ctx.state.user?.id))
      ctx.throw(404);
    return file;
  }

  const router = new Router()
    .get('/api/me', bearerUser, (ctx) => {
      ctx.body = userJson(ctx.state.user!);
    })
    .get('/api/files', bearerUser, async (ctx) => {
      const perPage = 20;
      const { items, total } = await db.page(ctx.state.user!.id, 0, perPage);
      ctx.body = { items: items.map(fileJson), page: 1, per_page: perPage, total };
    })
    .get('/api/files/:id', bearerUser, async (ctx) => {
      ctx.body = fileJson(await visibleFile(ctx));
    })
    .get('/files', sessionUser, async (ctx) => {
      const perPage = 25;
      const { items, total, bytes } = await db.page(ctx.state.user!.id, 0, perPage);
      const counts = await db.commentCounts(items.map((file) => file.id));
      await render(ctx, 'pages/files/index.njk', {
        files: items.map((file) => ({ ...file, commentCount: counts[file.id] ?? 0 })),
        total,
        query: { q: undefined, sort: 'date', order: 'desc', page: 1, perPage },
        pages: Math.max(1, Math.ceil(total / perPage)),
        usage: { used: bytes, quota: null },
        showComments: true,
      });
    })
    .get('/files/new', sessionUser, async (ctx) => {
      await render(ctx, 'pages/files/new.njk', { errors: {} });
    })
    .get('/files/:id/download', sessionUser, async (ctx) => {
      const file = await visibleFile(ctx);
      const where = path.join(deps.uploadDir, file.storageKey.slice(0, 2), file.storageKey);
      const stat = await fs.promises.stat(where);
      await db.countDownload(file.id);
      void db.recordDownload(ctx.state.user!, file, ctx.ip, ctx.get('User-Agent'));
      ctx.set({
        'Content-Disposition': contentDisposition(file.name),
        'Content-Security-Policy': "sandbox; default-src 'none'; frame-ancestors 'none'",
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'private, no-cache',
        'Accept-Ranges': 'bytes',
        ETag: `"${file.sha256}"`,
        'Last-Modified': stat.mtime.toUTCString(),
      });
      ctx.type = file.type;
      ctx.length = stat.size;
      ctx.body = fs.createReadStream(where);
    });
  // Koa would print every error to stderr; the only ones here are wrk closing connections mid-answer at the end of a run.
  app.on('error', (err: Error & { code?: string }) => {
    if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') deps.logger.error({ err }, 'request failed');
  });
  app.use(context).use(router.routes());
  return app;
}
