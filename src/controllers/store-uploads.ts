import type { Context } from 'koa';
import { ValidationError } from '../errors';
import type { FormFileReceiver } from '../middleware/multipart';
import type { FileRecord } from '../repositories/files';
import type { ActivityRecorder } from '../services/activity';
import type { FileService } from '../services/files';

/** Stores a multipart request's files and registers them (all or nothing); shared by the page and the API. */
export type UploadHandler = (ctx: Context, field: string) => Promise<FileRecord[]>;

/** Builds the handler: parts stream to storage, then every row is created in one transaction. */
export function createUploadHandler(deps: {
  files: FileService;
  activity: ActivityRecorder;
  receive: FormFileReceiver;
}): UploadHandler {
  return async function storeUploads(ctx, field) {
    const owner = ctx.state.user!;
    const parts = await deps.receive(ctx, field, owner);
    if (!parts.length) throw new ValidationError({ [field]: 'Choose at least one file.' });
    let records: FileRecord[];
    try {
      records = await deps.files.registerMany(
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
