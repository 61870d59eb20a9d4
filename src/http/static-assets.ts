import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fresh from 'fresh';
import type { Middleware } from 'koa';
import koaStatic from 'koa-static';
import type { Asset, AssetStore, AssetVariant } from './assets';
import { acceptsCoding } from '../lib/accept-encoding';

/** Serves fingerprinted assets from memory: immutable caching, br/gzip variants, ETag and 304. */
export function fingerprintedAssets(assets: AssetStore): Middleware {
  return async function fingerprintedAssets(ctx, next) {
    const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? assets.get(ctx.path) : undefined;
    if (!asset) {
      await next();
      return;
    }
    ctx.respond = false; // written below, straight to the socket: a Buffer needs nothing else from Koa
    ctx.status = sendAsset(ctx.req, ctx.res, asset);
  };
}

/**
 * Writes `asset` as the whole response to `req`: the best variant the client accepts, caching headers,
 * 304 when the client's copy is fresh, no body for HEAD. `extraHeaders` (a flat name/value list) go
 * out with it. Shared by the Koa middleware and the fast lane of bin/www.ts, so both answer alike.
 * Returns the status sent.
 */
export function sendAsset(
  req: IncomingMessage,
  res: ServerResponse,
  asset: Asset,
  extraHeaders: string[] = [],
): number {
  const variant = chooseVariant(req.headers['accept-encoding'], asset);
  if (isFresh(req, variant.etag, asset.lastModified)) {
    res.writeHead(304, variant.notModifiedHeaders.concat(extraHeaders));
    res.end();
    return 304;
  }
  res.writeHead(200, variant.okHeaders.concat(extraHeaders));
  res.end(req.method === 'HEAD' ? undefined : variant.body);
  return 200;
}

/** RFC 9110 freshness from the request's validators (cheap when it sends none). */
function isFresh(req: IncomingMessage, etag: string, lastModified: string): boolean {
  const { headers } = req;
  if (!headers['if-none-match'] && !headers['if-modified-since']) return false;
  return fresh(headers, { etag, 'last-modified': lastModified });
}

/** br, then gzip, then identity: the smallest variant the client accepts at all (q > 0). */
function chooseVariant(header: string | undefined, asset: Asset): AssetVariant {
  if (!header) return asset.identity;
  if (asset.br && acceptsCoding(header, 'br')) return asset.br;
  if (asset.gzip && acceptsCoding(header, 'gzip')) return asset.gzip;
  return asset.identity;
}

/** Everything else under public/ through koa-static, with Last-Modified revalidation (304) and short caching. */
export function staticFiles(root: string): Middleware {
  const serve = koaStatic(root, {
    maxage: 3_600_000,
    brotli: true,
    gzip: true,
    index: false,
    hidden: false,
  });
  // koa-send stats the disk (and .br/.gz variants) for every path it is given. Only paths under a
  // top-level entry of public/ can be files, so pages and API calls skip it; entries are read once.
  let entries: Promise<Set<string>> | undefined;
  const isPublicEntry = async (first: string) => {
    entries ??= fs.readdir(root).then(
      (names) => new Set(names.filter((name) => !name.startsWith('.'))),
      () => new Set<string>(),
    );
    return (await entries).has(first);
  };
  return async function staticFiles(ctx, next) {
    const get = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (!get || !(await isPublicEntry(ctx.path.split('/', 2)[1]))) {
      await next();
      return;
    }
    let passedOn = false;
    const passOn = async () => {
      passedOn = true;
      await next();
    };
    try {
      await serve(ctx, passOn);
    } catch (err) {
      // koa-send answers 403 to a path that climbs out of root (/../x); for a visitor that is simply not found.
      if ((err as { status?: number }).status !== 403 || passedOn) throw err;
      return passOn();
    }
    if (!passedOn && ctx.status === 200 && ctx.fresh) {
      const stream = ctx.body as { destroy?: () => void } | null;
      stream?.destroy?.();
      ctx.status = 304;
      ctx.body = null;
    }
  };
}
