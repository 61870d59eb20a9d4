import { ERRORS, type Locker } from '@tus/utils';
import { AppError, NotFound } from '../../errors';
import { sanitizeFileName } from '../../lib/file-name';
import type { Logger } from '../../logger';
import type { UploadRecord, UploadRepository } from './repository';
import type { User } from '../accounts/users-repository';
import type { ResumableUploads } from '../../storage/types';
import type { ActivityRecorder } from '../activity/events';
import type { FileService } from '../files/service';

/** Who finished the upload, for the activity log (empty for the start-up pass). */
interface Origin {
  ip: string;
  userAgent: string;
}

/** What completion works with. */
export interface CompletionDeps {
  uploads: UploadRepository;
  partials: ResumableUploads;
  files: Pick<FileService, 'register' | 'findVisible' | 'discardContent'>;
  findUser(id: string): Promise<User | null>;
  locker: Locker;
  activity: ActivityRecorder;
  logger: Logger;
}

/** Turns finished uploads into files; every step can be repeated, so a retry or the start-up pass resumes it. */
export interface UploadCompleter {
  /** Completes `id` if all its bytes are in (no-op when done); throws a tus error the client should see. */
  complete(id: string, origin: Origin): Promise<void>;
}

/** Builds the completer. */
export function createUploadCompleter(deps: CompletionDeps): UploadCompleter {
  async function isRegistered(record: UploadRecord, owner: User): Promise<boolean> {
    try {
      return (await deps.files.findVisible(record.id, owner)).ownerId === owner.id;
    } catch (err) {
      if (err instanceof NotFound) return false;
      throw err;
    }
  }

  /** Gives up on an upload that can never become a file: nothing of it stays. */
  async function abandon(record: UploadRecord, reason: string): Promise<void> {
    deps.logger.warn({ uploadId: record.id, reason }, 'resumable upload discarded at completion');
    await deps.files.discardContent([record.id]);
    await deps.partials.remove(record.id);
    await deps.uploads.remove(record.id);
  }

  async function finish(record: UploadRecord, origin: Origin): Promise<void> {
    const owner = await deps.findUser(record.ownerId);
    if (!owner) return abandon(record, 'owner is gone');
    await deps.uploads.setStatus(record.id, 'completing');
    if (!(await isRegistered(record, owner))) {
      // The content under the upload id, with its SHA-256 read from the bytes (repeatable once moved).
      const content = await deps.partials.complete(record.id, record.id);
      if (content === null) return abandon(record, 'content is gone');
      try {
        await deps.files.register({
          id: record.id,
          owner,
          name: sanitizeFileName(record.metadata.filename ?? ''),
          type: record.metadata.filetype ?? '',
          size: record.size,
          sha256: content.sha256,
          storageKey: record.id,
        });
      } catch (err) {
        // Over quota by now (other uploads finished first): refuse the file and keep nothing.
        if (!(err instanceof AppError) || err.status !== 413) throw err;
        await abandon(record, err.code);
        throw { status_code: 413, body: `${err.message}\n` };
      }
      deps.activity.record({
        type: 'upload',
        userId: owner.id,
        fileId: record.id,
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
    }
    await deps.uploads.setStatus(record.id, 'done');
  }

  return {
    async complete(id, origin) {
      const lock = deps.locker.newLock(id);
      await lock.lock(new AbortController().signal, () => undefined);
      try {
        const record = await deps.uploads.find(id);
        if (!record || record.status === 'done') return;
        if (record.status === 'receiving' && record.offset < record.size)
          throw ERRORS.INVALID_OFFSET;
        await finish(record, origin);
      } finally {
        await lock.unlock();
      }
    },
  };
}
