import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import mime from 'mime-types';
import { z } from 'zod';

type Encoding = 'br' | 'gzip' | 'identity';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * One encoding of an asset with its response headers worked out once (flat name/value lists, as
 * `res.writeHead` takes them): assets are the busiest responses and never change.
 */
export interface AssetVariant {
  body: Buffer;
  etag: string;
  /** Headers of a 200 with this body. */
  okHeaders: string[];
  /** Headers of a 304 for this variant (validators and caching, no body headers). */
  notModifiedHeaders: string[];
}

/** One fingerprinted asset held in memory with its precompressed variants. */
export interface Asset {
  type: string;
  mtime: Date;
  /** mtime as an HTTP date, formatted once. */
  lastModified: string;
  identity: AssetVariant;
  br?: AssetVariant;
  gzip?: AssetVariant;
}

/** The built assets: logical name -> URL, and URL -> bytes (fingerprinted files never change). */
export interface AssetStore {
  url(name: string): string;
  get(urlPath: string): Asset | undefined;
}

const BUILD_DIR = 'build';
// Source path -> built file name, as bin/build-assets.ts writes it.
const Manifest = z.record(z.string(), z.string());

/** Reads public/build/manifest.json and every file it names into memory; without a build, links the sources. */
export async function loadAssets(publicDir: string): Promise<AssetStore> {
  const buildDir = path.join(publicDir, BUILD_DIR);
  let manifest: Record<string, string> = {};
  try {
    const text = await fs.readFile(path.join(buildDir, 'manifest.json'), 'utf8');
    manifest = Manifest.parse(JSON.parse(text));
  } catch {
    manifest = {};
  }
  const files = new Map<string, Asset>();
  for (const built of Object.values(manifest)) {
    const file = path.join(buildDir, built);
    const identity = await fs.readFile(file);
    const stat = await fs.stat(file);
    const type = mime.contentType(path.extname(file)) || 'application/octet-stream';
    const lastModified = stat.mtime.toUTCString();
    const tag = createHash('sha256').update(identity).digest('base64url').slice(0, 27);
    const variant = (encoding: Encoding, body: Buffer | undefined) =>
      body && assetVariant({ encoding, body, tag, type, lastModified });
    files.set(`/${BUILD_DIR}/${built}`, {
      type,
      mtime: stat.mtime,
      lastModified,
      identity: variant('identity', identity)!,
      br: variant('br', await readOptional(`${file}.br`)),
      gzip: variant('gzip', await readOptional(`${file}.gz`)),
    });
  }
  return {
    url: (name) => (manifest[name] ? `/${BUILD_DIR}/${manifest[name]}` : `/${name}`),
    get: (urlPath) => files.get(urlPath),
  };
}

/** One encoding's body, strong ETag (the identity's tag, suffixed per encoding) and headers. */
function assetVariant(input: {
  encoding: Encoding;
  body: Buffer;
  tag: string;
  type: string;
  lastModified: string;
}): AssetVariant {
  const { encoding, body } = input;
  const etag = encoding === 'identity' ? `"${input.tag}"` : `"${input.tag}-${encoding}"`;
  // prettier-ignore
  const notModifiedHeaders = [
    'Vary', 'Accept-Encoding',
    'Cache-Control', IMMUTABLE,
    'ETag', etag,
    'Last-Modified', input.lastModified,
  ];
  // prettier-ignore
  const okHeaders = [
    ...notModifiedHeaders,
    'Content-Type', input.type,
    'Content-Length', String(body.length),
    ...(encoding === 'identity' ? [] : ['Content-Encoding', encoding]),
  ];
  return { body, etag, okHeaders, notModifiedHeaders };
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch {
    return undefined;
  }
}
