import type { Logger } from '../../logger';
import type { UploadRepository } from '../uploads/repository';
import type { TempSweepResult } from '../../storage/temp-janitor';
import type { FileService } from './service';

/**
 * Content without a row younger than this is left alone: it may be between its rename into place and its
 * row (form parts are committed right before their transaction, a tus upload's content is touched right before
 * it moves), a window of one transaction; this leaves minutes of margin for a loaded database.
 */
const REGISTRATION_WINDOW_MS = 10 * 60_000;
const BATCH = 500;

/** What one pass removed. */
interface StorageSweepResult {
  tempFiles: number;
  tempBytes: number;
  orphans: number;
}

/** Removes bytes no one will ever use: temp files whose writer is gone, content that never got its row. */
export interface StorageSweep {
  run(now?: Date): Promise<StorageSweepResult>;
}

/** Builds the sweep; it is safe with several instances on one UPLOAD_DIR (see TempJanitor and the window above). */
export function createStorageSweep(deps: {
  sweepTemp(): Promise<TempSweepResult>;
  storedKeys(before: Date): AsyncIterable<string>;
  uploads: Pick<UploadRepository, 'unfinishedAmong'>;
  files: Pick<FileService, 'sweepOrphans'>;
  logger: Logger;
}): StorageSweep {
  /** Keys old enough to judge, without those of uploads still on their way to becoming files. */
  async function* candidates(before: Date): AsyncGenerator<string> {
    let batch: string[] = [];
    const release = async function* () {
      const pending = await deps.uploads.unfinishedAmong(batch);
      yield* batch.filter((key) => !pending.has(key));
      batch = [];
    };
    for await (const key of deps.storedKeys(before)) {
      batch.push(key);
      if (batch.length >= BATCH) yield* release();
    }
    if (batch.length) yield* release();
  }

  return {
    async run(now = new Date()) {
      const temp = await deps.sweepTemp();
      const before = new Date(now.getTime() - REGISTRATION_WINDOW_MS);
      const orphans = await deps.files.sweepOrphans(candidates(before));
      if (temp.files)
        deps.logger.warn({ files: temp.files, bytes: temp.bytes }, 'removed abandoned temp files');
      return { tempFiles: temp.files, tempBytes: temp.bytes, orphans };
    },
  };
}
