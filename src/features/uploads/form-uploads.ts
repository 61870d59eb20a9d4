import type { Context } from 'koa';
import { ValidationError } from '../../errors';
import type { FormFileReceiver } from './form-receiver';
import type { FileRecord } from '../files/repository';
import type { ActivityRecorder } from '../activity/events';
import type { FileService } from '../files/service';
import type { SpaceGuard } from './space';
import { commitParts, discardPart, type StoredPart } from './multer-engine';
import type { Storage } from '../../storage/types';

/** Stores a multipart request's files and registers them (all or nothing); shared by the page and the API. */
export type UploadHandler = (ctx: Context, field: string) => Promise<FileRecord[]>;

/**
 * Builds the handler: parts stream to staging, and only once all of them arrived are they moved into place and
 * their rows created in one transaction, so unregistered content exists only for that moment.
 */
export function createUploadHandler(deps: {
  files: FileService;
  activity: ActivityRecorder;
  receive: FormFileReceiver;
  storage: Storage;
  space: Pick<SpaceGuard, 'assertRoomFor'>;
}): UploadHandler {
  async function register(owner: NonNullable<Context['state']['user']>, parts: StoredPart[]) {
    await commitParts(deps.storage, parts);
    try {
      return await deps.files.registerMany(
        parts.map((part) => ({
          id: part.key,
          owner,
          name: part.originalName,
          type: part.mimeType,
          size: part.size,
          sha256: part.sha256,
          storageKey: part.key,
        })),
      );
    } catch (err) {
      await deps.files.discardContent(parts.map((part) => part.key));
      throw err;
    }
  }

  return async function storeUploads(ctx, field) {
    const owner = ctx.state.user!;
    // A body that cannot fit is refused before a byte is read (507; a body of unknown length is caught by ENOSPC).
    await deps.space.assertRoomFor(Number(ctx.get('Content-Length')) || 0);
    const parts = await deps.receive(ctx, field, owner);
    if (!parts.length) throw new ValidationError({ [field]: 'Choose at least one file.' });
    let records: FileRecord[];
    try {
      records = await register(owner, parts);
    } finally {
      // Whatever was not committed (a failed commit discards it already; this covers the rest).
      await Promise.allSettled(parts.map((part) => discardPart(deps.storage, part)));
    }
    for (const file of records) {
      deps.activity.record({
        type: 'upload',
        userId: owner.id,
        fileId: file.id,
        ip: ctx.ip,
        userAgent: ctx.get('User-Agent'),
      });
    }
    return records;
  };
}
