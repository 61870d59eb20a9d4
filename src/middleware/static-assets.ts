import type { Context, Middleware } from 'koa';
import koaStatic from 'koa-static';
import type { Asset, AssetStore } from '../assets';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Serves fingerprinted assets from memory: immutable caching, br/gzip variants, ETag and 304. */
export function fingerprintedAssets(assets: AssetStore): Middleware {
  return async function fingerprintedAssets(ctx, next) {
    const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? assets.get(ctx.path) : undefined;
    if (!asset) return next();
    const [encoding, body] = pickVariant(ctx, asset);
    ctx.vary('Accept-Encoding');
    ctx.set('Cache-Control', IMMUTABLE);
    ctx.set(
      'ETag',
      encoding === 'identity' ? asset.etag : `${asset.etag.slice(0, -1)}-${encoding}"`,
    );
    ctx.lastModified = asset.mtime;
    ctx.type = asset.type;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    if (encoding !== 'identity') ctx.set('Content-Encoding', encoding);
    ctx.body = body;
  };
}

function pickVariant(ctx: Context, asset: Asset): ['br' | 'gzip' | 'identity', Buffer] {
  const offered = [asset.br && 'br', asset.gzip && 'gzip', 'identity'].filter(Boolean) as string[];
  const chosen = ctx.acceptsEncodings(offered);
  if (chosen === 'br' && asset.br) return ['br', asset.br];
  if (chosen === 'gzip' && asset.gzip) return ['gzip', asset.gzip];
  return ['identity', asset.identity];
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
  return async function staticFiles(ctx, next) {
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
