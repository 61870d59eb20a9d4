import type { Context } from 'koa';
import { downloadContentType } from '../../lib/download-types';
import { inlineContentType } from '../../lib/inline-types';
import type { Metrics } from '../../metrics';
import { sendContent, strongEtag, type BodyStartInfo } from '../../http/content/send-content';
import type { FileRecord } from './repository';
import type { Storage } from '../../storage/types';

/** What every download route needs to send a file. */
export interface FileContentDeps {
  storage: Storage;
  metrics: Metrics;
}

// Downloads are never rendered, and nothing they contain may run as this origin if a client did.
const DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'";
// Previews run in a sandbox (an opaque origin) and only the file page itself may frame them (PDF).
const VIEW_CSP = "sandbox; frame-ancestors 'self'";

/**
 * Who may embed the content: `public` (a public file, or a share link: anyone with the URL may have it, and people
 * link images from chats and other sites) or `private` (only pages of this origin may load it, so another site
 * cannot use a signed-in visitor's cookies to pull it in as an image, media or script).
 */
export type ContentReach = 'public' | 'private';

const reachOf = (file: FileRecord): ContentReach =>
  file.visibility === 'public' ? 'public' : 'private';

function setResourcePolicy(ctx: Context, reach: ContentReach): void {
  ctx.set('Cross-Origin-Resource-Policy', reach === 'public' ? 'cross-origin' : 'same-origin');
}

/**
 * Sends a file as an attachment (/download routes); `onBodyStart` counts downloads. Its type goes out only if no
 * browser would run or apply it (downloadContentType): a script or style sheet is application/octet-stream.
 */
export async function sendFileDownload(
  ctx: Context,
  deps: FileContentDeps,
  file: FileRecord,
  onBodyStart?: (info: BodyStartInfo) => Promise<void> | void,
  reach: ContentReach = reachOf(file),
): Promise<void> {
  await send(ctx, deps, file, {
    disposition: 'attachment',
    type: downloadContentType(file.type),
    onBodyStart,
  });
  // Set once the file is the response (Koa sends headers later): an error page keeps the page CSP.
  ctx.set('Content-Security-Policy', DOWNLOAD_CSP);
  setResourcePolicy(ctx, reach);
}

/** Sends a file for previews (/view routes): inline only for safe types, otherwise as an attachment. */
export async function sendFileView(
  ctx: Context,
  deps: FileContentDeps,
  file: FileRecord,
  reach: ContentReach = reachOf(file),
): Promise<void> {
  const inline = inlineContentType(file.type);
  await send(ctx, deps, file, {
    disposition: inline ? 'inline' : 'attachment',
    // An unsafe type keeps no label a browser could act on, even one that ignored the disposition.
    type: inline ?? 'application/octet-stream',
  });
  ctx.set('Content-Security-Policy', VIEW_CSP);
  ctx.set('X-Frame-Options', 'SAMEORIGIN');
  setResourcePolicy(ctx, reach);
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
