import { ERRORS } from '@tus/utils';
import { AppError, InsufficientStorage } from '../../errors';
import { dependencyFailure } from '../../failures/dependencies';
import { diskFailure } from '../../failures/disk';
import type { Logger } from '../../logger';
import type { UploadRequestScope } from './request-scope';
import { spaceMessages } from './space';
import { CHECKSUM_MISMATCH } from './tus-store';

/** What @tus/server sends instead of its own answer to an error. */
type TusAnswer = { status_code: number; body: string };

function isTusAnswer(err: unknown): err is TusAnswer {
  return typeof err === 'object' && err !== null && 'status_code' in err && 'body' in err;
}

/** User-visible words for the tus extensions Depot does not offer (OPTIONS lists those it does). */
const unofferedMessages = {
  deferLength:
    'Upload-Defer-Length is not supported here (the creation-defer-length extension is not offered): send Upload-Length.',
  concatenation:
    'Upload-Concat is not supported here (the concatenation extension is not offered): upload the file as one upload.',
};

/**
 * @tus/server answers 501 to an extension the store lacks; tus 1.0.0 makes that the client's mistake (the server
 * lists its extensions in Tus-Extension), so it is a 400 naming the header.
 */
function unofferedExtension(err: unknown): AppError | null {
  if (err === ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION)
    return new AppError(400, 'TUS_EXTENSION_UNSUPPORTED', unofferedMessages.deferLength);
  if (err === ERRORS.UNSUPPORTED_CONCATENATION_EXTENSION)
    return new AppError(400, 'TUS_EXTENSION_UNSUPPORTED', unofferedMessages.concatenation);
  return null;
}

/**
 * The AppError behind a failed tus request: our own (413 from the quota reservation, 507 from the space check),
 * a full disk or an unreachable dependency (503), which @tus/server would otherwise turn into a 500. A PATCH that ran out of space kept what
 * reached the file, so its words say the upload can resume.
 */
function knownFailure(method: string, err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const unoffered = unofferedExtension(err);
  if (unoffered) return unoffered;
  // A frozen or down Redis (the upload lock) or database: the same 503 as everywhere else.
  if (!diskFailure(err)) return dependencyFailure(err);
  return method === 'PATCH'
    ? new InsufficientStorage(spaceMessages.ranOut, { cause: err })
    : new InsufficientStorage(undefined, { cause: err });
}

/**
 * @tus/server's onResponseError: the answer to send, or undefined to keep its own. A known failure is also
 * left in the request scope, so the controller renders it as a page or problem like every other error.
 */
export function tusFailure(
  method: string,
  err: unknown,
  scope: UploadRequestScope | null,
  logger: Logger,
): TusAnswer | undefined {
  if (err === ERRORS.ERR_LOCK_TIMEOUT)
    return { status_code: 423, body: 'The upload is busy with another request.\n' };
  if (err === CHECKSUM_MISMATCH || (isTusAnswer(err) && err.status_code < 500)) return undefined;
  const log = scope?.log ?? logger;
  const known = knownFailure(method, err);
  if (!known) {
    log.error({ err }, 'resumable upload request failed');
    return { status_code: 500, body: 'Internal server error.\n' };
  }
  // With a scope the controller throws it and the error handler logs it (a 503 or 507 as a warning).
  if (scope) scope.failure = known;
  else if (known.status >= 500) log.warn({ err, status: known.status }, known.message);
  return { status_code: known.status, body: `${known.message}\n` };
}
