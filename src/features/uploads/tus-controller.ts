import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import { coalescedWebStream } from '../../lib/web-body';
import { AppError, BadRequest, NotFound } from '../../errors';
import type { User } from '../accounts/users-repository';
import type { UploadsFeature } from '.';
import { runInUploadScope, type ExpectedChecksum, type UploadRequestScope } from './request-scope';

const TUS_VERSION = '1.0.0';
const PATCH_TYPE = 'application/offset+octet-stream';
/** Algorithms of the checksum extension we verify (Tus-Checksum-Algorithm). */
const CHECKSUM_ALGORITHMS = ['sha1', 'md5', 'sha256'] as const;

/** User-visible words of the tus endpoint. */
const uploadMessages = {
  version: `This server speaks tus ${TUS_VERSION}: send Tus-Resumable: ${TUS_VERSION}.`,
  contentType: `Send the upload's bytes as ${PATCH_TYPE}.`,
  checksum: 'Upload-Checksum must be "<algorithm> <base64 digest>" with sha1, md5 or sha256.',
};

function parseChecksum(header: string): ExpectedChecksum | null {
  if (!header) return null;
  const [algorithm, encoded, extra] = header.trim().split(/\s+/);
  const known = CHECKSUM_ALGORITHMS.find((name) => name === algorithm);
  const digest = Buffer.from(encoded ?? '', 'base64');
  if (!known || extra !== undefined || !encoded || digest.toString('base64') !== encoded)
    throw new BadRequest(uploadMessages.checksum);
  return { algorithm: known, digest };
}

/** The `{ status_code, body }` errors @tus/server and our store throw. */
function isTusError(err: unknown): err is { status_code: number; body: string } {
  return typeof err === 'object' && err !== null && 'status_code' in err && 'body' in err;
}

/** The protocol checks @tus/server either skips or answers differently from the tus 1.0.0 text. */
function assertProtocol(ctx: Context): void {
  ctx.set('Tus-Resumable', TUS_VERSION);
  if (ctx.method === 'OPTIONS') return;
  if (ctx.get('Tus-Resumable') !== TUS_VERSION)
    throw new AppError(412, 'TUS_VERSION_UNSUPPORTED', uploadMessages.version, {
      headers: { 'Tus-Version': TUS_VERSION },
    });
  if (ctx.method === 'PATCH' && ctx.get('Content-Type') !== PATCH_TYPE)
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', uploadMessages.contentType);
}

/** Ownership and quota, decided before @tus/server sees the request. */
async function authorize(ctx: RouterContext, uploads: UploadsFeature, user: User): Promise<void> {
  const id = ctx.params.id as string | undefined;
  if (ctx.method === 'POST' && !id) {
    const length = Number(ctx.get('Upload-Length'));
    if (ctx.get('Upload-Length') !== '' && Number.isSafeInteger(length) && length >= 0)
      await uploads.assertCanCreate(user, length);
    return;
  }
  if (!id || ctx.method === 'OPTIONS') return;
  // Someone else's upload looks exactly like a missing one. Checked before @tus/server takes the lock:
  // a stranger's lock request would make it stop the owner's running PATCH.
  const notFound = () => new NotFound('There is no such upload.');
  if (ctx.method !== 'HEAD') {
    if (!(await uploads.isOwnedBy(id, user))) throw notFound();
    return;
  }
  const record = await uploads.findOwn(id, user);
  if (!record) throw notFound();
  // A HEAD after a failed completion retries it, so the client sees a finished upload.
  if (record.offset === record.size && record.status !== 'done') {
    await uploads.completer
      .complete(id, { ip: ctx.ip, userAgent: ctx.get('User-Agent') })
      .catch((err: unknown) => {
        throw isTusError(err)
          ? new AppError(err.status_code, 'UPLOAD_NOT_COMPLETED', err.body.trim())
          : err;
      });
  }
}

/** Hop-by-hop and framing headers belong to this connection, not to the request @tus/server sees. */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
  'te',
]);

/** The Koa request as a fetch Request for @tus/server's handleWeb, its body read in large chunks. */
function toWebRequest(ctx: Context): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (value === undefined || CONNECTION_HEADERS.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const hasBody = ctx.method === 'PATCH' || ctx.method === 'POST';
  return new Request(new URL(ctx.originalUrl, 'http://depot.internal'), {
    method: ctx.method,
    headers,
    body: hasBody ? coalescedWebStream(ctx.req) : null,
    duplex: 'half',
  } as RequestInit);
}

/** Copies @tus/server's answer onto the Koa response (tus bodies are short text). */
async function sendWebResponse(ctx: Context, response: Response): Promise<void> {
  ctx.status = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'content-length') ctx.set(name, value);
  });
  const text = await response.text();
  if (text) ctx.body = text;
  else if (response.status !== 204 && ctx.method !== 'HEAD') ctx.body = '';
}

/** Mounts @tus/server inside Koa for /api/uploads/ and /api/uploads/:id. */
export function createUploadsController(uploads: UploadsFeature) {
  return {
    /** Every tus request: our checks, then the official server writes the response itself. */
    tus: async (ctx: RouterContext) => {
      assertProtocol(ctx);
      const user = ctx.state.user;
      if (user) await authorize(ctx, uploads, user);
      if (ctx.method === 'OPTIONS')
        ctx.set('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(','));
      const scope: UploadRequestScope = {
        userId: user?.id ?? '',
        checksum: parseChecksum(ctx.get('Upload-Checksum')),
        ip: ctx.ip,
        userAgent: ctx.get('User-Agent'),
        log: ctx.state.log,
        bodyCut: () => !ctx.req.complete,
      };
      const response = await runInUploadScope(scope, () =>
        uploads.server.handleWeb(toWebRequest(ctx)),
      );
      // Quota and full-disk refusals answer as every other error does (page or problem+json).
      if (scope.failure) throw scope.failure;
      await sendWebResponse(ctx, response);
    },
  };
}
