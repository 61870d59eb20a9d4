import type { IncomingMessage } from 'node:http';
import multer from '@koa/multer';
import type { Context } from 'koa';
import { AppError, BadRequest, PayloadTooLarge } from '../../errors';
import type { Metrics } from '../../metrics';
import type { User } from '../accounts/users-repository';
import { fileMessages, type FileService } from '../files/service';
import {
  createStreamingEngine,
  discardPart,
  FormUploadState,
  type StoredPart,
} from './multer-engine';
import type { Storage } from '../../storage/types';

/** Bytes a form may carry beyond its files (part headers, the odd text field) before the early size check bites. */
const FORM_OVERHEAD_BYTES = 1024 * 1024;
/** Parser and file-stream buffers: 64 KiB, 256 KiB and 1 MiB measured the same in bench/upload-form.ts; least memory wins. */
const PARSER_HIGH_WATER_MARK = 64 * 1024;

const messages = {
  notMultipart: (field: string) =>
    `Send multipart/form-data with the files in the '${field}' field.`,
  wrongField: (field: string) => `Send the files in the '${field}' field.`,
  malformed: 'The upload could not be read: the form data is malformed.',
  interrupted: 'The upload was interrupted before it finished.',
  tooManyFields: 'The form has too many or too large fields.',
  unnamedPart: (field: string) =>
    `Every part of the form needs a name: send the files as Content-Disposition: form-data; name="${field}".`,
};

/** Limits of form uploads (from the config). */
export interface FormUploadLimits {
  maxFileBytes: number;
  maxFiles: number;
  quotaBytes: number;
}

/** Reads a multipart request's files into storage; resolves with every stored part or keeps nothing at all. */
export type FormFileReceiver = (ctx: Context, field: string, user: User) => Promise<StoredPart[]>;

type MulterLike = { code?: string; message?: string; name?: string };

function toAppError(err: unknown, state: FormUploadState, limits: FormUploadLimits, field: string) {
  if (state.limitHit === 'quota')
    return new PayloadTooLarge(fileMessages.overQuota(limits.quotaBytes));
  if (state.limitHit === 'file-size')
    return new PayloadTooLarge(fileMessages.tooLarge(limits.maxFileBytes));
  if (err instanceof AppError) return err;
  const { code, message = '', name } = (err ?? {}) as MulterLike;
  if (code === 'LIMIT_FILE_COUNT')
    return new PayloadTooLarge(fileMessages.tooMany(limits.maxFiles));
  if (code === 'LIMIT_UNEXPECTED_FILE') return new BadRequest(messages.wrongField(field));
  if (code?.startsWith('LIMIT_')) return new PayloadTooLarge(messages.tooManyFields);
  if (code === 'MISSING_FIELD_NAME')
    return new BadRequest(messages.unnamedPart(field), { cause: err });
  if (/^Request (aborted|closed)|aborted|ECONNRESET/i.test(message) || code === 'ECONNRESET')
    return new AppError(400, 'UPLOAD_ABORTED', messages.interrupted, { cause: err });
  if (/Unexpected end of form|Malformed|Multipart|boundary/i.test(message))
    return new BadRequest(messages.malformed, { cause: err });
  // Multer raises its errors only for what the form says (any new code is the client's form too).
  if (name === 'MulterError') return new BadRequest(messages.malformed, { cause: err });
  return err;
}

/** Builds the receiver shared by POST /files and POST /api/files. */
export function createFormFileReceiver(deps: {
  storage: Storage;
  files: FileService;
  metrics: Metrics;
  limits: FormUploadLimits;
}): FormFileReceiver {
  const { limits } = deps;
  const states = new WeakMap<IncomingMessage, FormUploadState>();
  const options = {
    storage: createStreamingEngine(deps.storage, states),
    limits: {
      files: limits.maxFiles,
      fields: 100,
      fieldSize: 64 * 1024,
      parts: limits.maxFiles + 100,
    },
    // Browsers and curl send UTF-8 file names as raw bytes; busboy would otherwise read them as latin1.
    defParamCharset: 'utf8',
    highWaterMark: PARSER_HIGH_WATER_MARK,
    fileHwm: PARSER_HIGH_WATER_MARK,
  };
  const upload = multer(options as multer.Options);

  return async function receiveFormFiles(ctx, field, user) {
    if (!ctx.is('multipart/form-data')) throw new BadRequest(messages.notMultipart(field));
    const { used } = await deps.files.usage(user);
    const remainingQuota = limits.quotaBytes - used;
    // Refused before reading a byte when the declared body cannot fit; Node discards the unread rest.
    const declared = Number(ctx.get('Content-Length')) || 0;
    if (declared > remainingQuota + FORM_OVERHEAD_BYTES)
      throw new PayloadTooLarge(fileMessages.overQuota(limits.quotaBytes));
    // The body may have failed while the usage was read (a malformed chunk, a client gone): multer listens
    // for the request's end and close only from now on, and would wait for them forever.
    if (ctx.req.destroyed) throw new AppError(400, 'UPLOAD_ABORTED', messages.interrupted);
    const state = new FormUploadState({ maxFileBytes: limits.maxFileBytes, remainingQuota });
    states.set(ctx.req, state);
    deps.metrics.activeUploads.inc();
    try {
      await upload.array(field)(ctx, () => Promise.resolve());
      await state.settled();
    } catch (err) {
      // Wait for writes still running (their temp files go first), then drop every part of this request.
      await state.settled();
      await Promise.allSettled(state.stored.map((part) => discardPart(deps.storage, part)));
      throw toAppError(err, state, limits, field);
    } finally {
      deps.metrics.activeUploads.dec();
      states.delete(ctx.req);
    }
    deps.metrics.bytesUploaded.inc(state.bytes);
    return state.stored;
  };
}
