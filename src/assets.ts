import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import mime from 'mime-types';

/** One fingerprinted asset held in memory with its precompressed variants. */
export interface Asset {
  type: string;
  mtime: Date;
  /** mtime as an HTTP date, formatted once. */
  lastModified: string;
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  etag: string;
}

/** The built assets: logical name -> URL, and URL -> bytes (fingerprinted files never change). */
export interface AssetStore {
  url(name: string): string;
  get(urlPath: string): Asset | undefined;
}

export const BUILD_DIR = 'build';

/** Reads public/build/manifest.json and every file it names into memory; without a build, links the sources. */
export async function loadAssets(publicDir: string): Promise<AssetStore> {
  const buildDir = path.join(publicDir, BUILD_DIR);
  let manifest: Record<string, string> = {};
  try {
    manifest = JSON.parse(await fs.readFile(path.join(buildDir, 'manifest.json'), 'utf8'));
  } catch {
    manifest = {};
  }
  const files = new Map<string, Asset>();
  for (const built of Object.values(manifest)) {
    const file = path.join(buildDir, built);
    const identity = await fs.readFile(file);
    const stat = await fs.stat(file);
    files.set(`/${BUILD_DIR}/${built}`, {
      type: mime.contentType(path.extname(file)) || 'application/octet-stream',
      mtime: stat.mtime,
      lastModified: stat.mtime.toUTCString(),
      identity,
      br: await readOptional(`${file}.br`),
      gzip: await readOptional(`${file}.gz`),
      etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`,
    });
  }
  return {
    url: (name) => (manifest[name] ? `/${BUILD_DIR}/${manifest[name]}` : `/${name}`),
    get: (urlPath) => files.get(urlPath),
  };
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch {
    return undefined;
  }
}
