import type { Context } from 'koa';
import { inlineContentType } from '../lib/inline-types';
import type { Metrics } from '../metrics';
import { sendContent, strongEtag, type BodyStartInfo } from '../middleware/send-content';
import type { FileRecord } from '../repositories/files';
import type { Storage } from '../storage/types';

/** What every download route needs to send a file. */
export interface FileContentDeps {
  storage: Storage;
  metrics: Metrics;
}

// Downloads are never rendered, and nothing they contain may run as this origin if a client did.
const DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'";
// Previews run in a sandbox (an opaque origin) and only the file page itself may frame them (PDF).
const VIEW_CSP = "sandbox; frame-ancestors 'self'";

/** Sends a file as an attachment (/download routes); `onBodyStart` counts downloads. */
export async function sendFileDownload(
  ctx: Context,
  deps: FileContentDeps,
  file: FileRecord,
  onBodyStart?: (info: BodyStartInfo) => Promise<void> | void,
): Promise<void> {
  await send(ctx, deps, file, { disposition: 'attachment', type: file.type, onBodyStart });
  // Set once the file is the response (Koa sends headers later): an error page keeps the page CSP.
  ctx.set('Content-Security-Policy', DOWNLOAD_CSP);
}

/** Sends a file for previews (/view routes): inline only for safe types, otherwise as an attachment. */
export async function sendFileView(
  ctx: Context,
  deps: FileContentDeps,
  file: FileRecord,
): Promise<void> {
  const inline = inlineContentType(file.type);
  await send(ctx, deps, file, {
    disposition: inline ? 'inline' : 'attachment',
    // An unsafe type keeps no label a browser could act on, even one that ignored the disposition.
    type: inline ?? 'application/octet-stream',
  });
  ctx.set('Content-Security-Policy', VIEW_CSP);
  ctx.set('X-Frame-Options', 'SAMEORIGIN');
}

async function send(
  ctx: Context,
  deps: FileContentDeps,
  file: FileRecord,
  how: {
    disposition: 'attachment' | 'inline';
    type: string;
    onBodyStart?: (info: BodyStartInfo) => Promise<void> | void;
  },
): Promise<void> {
  await sendContent(ctx, {
    storage: deps.storage,
    key: file.storageKey,
    size: file.size,
    etag: strongEtag(file.sha256),
    // Content never changes under an id (a new upload is a new file), so creation time is its mtime.
    lastModified: file.createdAt,
    name: file.name,
    type: how.type,
    disposition: how.disposition,
    cacheControl: file.visibility === 'public' ? 'public, no-cache' : 'private, no-cache',
    bytesSent: deps.metrics.bytesDownloaded,
    onBodyStart: how.onBodyStart,
  });
}
