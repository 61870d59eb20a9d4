import type { Logger } from '../../logger';
import type { UploadRepository } from './repository';
import type { ResumableUploads } from '../../storage/types';
import type { UploadCompleter } from './completion';

const BATCH = 200;

/** What the sweep works with. */
export interface SweepDeps {
  uploads: UploadRepository;
  partials: Pick<ResumableUploads, 'list' | 'remove'>;
  completer: UploadCompleter;
  discard(id: string): Promise<void>;
  expiryMs: number;
  logger: Logger;
}

/** What one pass did. */
export interface SweepResult {
  completed: number;
  expired: number;
  orphans: number;
}

/**
 * One maintenance pass: finishes completions a crash interrupted, removes uploads untouched for
 * `expiryMs` with their partial data, and partial files no row knows (a crash between file and row).
 */
export async function sweepUploads(deps: SweepDeps): Promise<SweepResult> {
  const result: SweepResult = { completed: 0, expired: 0, orphans: 0 };
  for (const record of await deps.uploads.unfinished(BATCH)) {
    try {
      await deps.completer.complete(record.id, { ip: '', userAgent: '' });
      result.completed += 1;
    } catch (err) {
      deps.logger.error({ err, uploadId: record.id }, 'could not finish an interrupted upload');
    }
  }
  const cutoff = new Date(Date.now() - deps.expiryMs);
  for (;;) {
    const stale = await deps.uploads.untouchedSince(cutoff, BATCH);
    for (const record of stale) await deps.discard(record.id);
    result.expired += stale.length;
    if (stale.length < BATCH) break;
  }
  for (const entry of await deps.partials.list()) {
    if (entry.mtime >= cutoff || (await deps.uploads.find(entry.id))) continue;
    await deps.partials.remove(entry.id);
    result.orphans += 1;
  }
  if (result.completed || result.expired || result.orphans)
    deps.logger.info({ uploads: result }, 'upload sweep');
  return result;
}
