import { InsufficientStorage } from '../../errors';
import { formatSize } from '../../lib/units';
import type { UploadRepository } from './repository';
import type { ResumableUploads } from '../../storage/types';

/** User-visible words about a full upload directory. */
export const spaceMessages = {
  noRoom: (bytes: number) =>
    `The server has no storage space left for an upload of ${formatSize(bytes)}. Nothing was kept; try again later.`,
  ranOut:
    'The server ran out of storage space during this upload. The bytes received so far are kept: resume the upload once space is freed.',
};

/** What the disk gauges show (src/metrics.ts). */
interface SpaceReport {
  /** Bytes the file system of UPLOAD_DIR has free. */
  freeBytes: number;
  /** Bytes unfinished resumable uploads may still send. */
  promisedBytes: number;
  partialUploads: number;
  /** Bytes partial uploads hold on disk now. */
  partialBytes: number;
}

/** The free-space check in front of every upload. */
export interface SpaceGuard {
  /**
   * Throws InsufficientStorage (507) when `bytes` more cannot fit into the free space once the unfinished
   * resumable uploads have sent what they still may: space promised to an upload is not given away twice.
   */
  assertRoomFor(bytes: number): Promise<void>;
  report(): Promise<SpaceReport>;
}

/** Builds the guard over the disk of UPLOAD_DIR and the uploads table (shared by every instance). */
export function createSpaceGuard(deps: {
  freeBytes(): Promise<number>;
  uploads: Pick<UploadRepository, 'promisedBytes'>;
  partials: Pick<ResumableUploads, 'usage'>;
}): SpaceGuard {
  return {
    async assertRoomFor(bytes) {
      const [free, promised] = await Promise.all([deps.freeBytes(), deps.uploads.promisedBytes()]);
      if (free - promised < bytes) throw new InsufficientStorage(spaceMessages.noRoom(bytes));
    },
    async report() {
      const [freeBytes, promisedBytes, usage] = await Promise.all([
        deps.freeBytes(),
        deps.uploads.promisedBytes(),
        deps.partials.usage(),
      ]);
      return { freeBytes, promisedBytes, partialUploads: usage.count, partialBytes: usage.bytes };
    },
  };
}
