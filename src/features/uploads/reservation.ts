import type { Sequelize } from 'sequelize';
import { PayloadTooLarge } from '../../errors';
import type { FileRepository } from '../files/repository';
import type { UploadRecord, UploadRepository } from './repository';
import { fileMessages } from '../files/rules';

/** A new upload's row, as the tus store creates it. */
interface NewUpload {
  id: string;
  ownerId: string;
  size: number;
  metadata: Record<string, string | null>;
}

/** Creates upload rows only while the owner's quota, counting every unfinished upload, still holds them. */
export type ReserveUpload = (input: NewUpload) => Promise<UploadRecord>;

/**
 * The quota check and the row insert in one transaction, under the owner lock the form uploads take
 * (FileService's insert): of parallel creations exactly those that fit get a row, the rest 413 at creation
 * instead of at their last byte. No file I/O happens inside.
 */
export function createUploadReservation(deps: {
  sequelize: Sequelize;
  fileRows: Pick<FileRepository, 'lockOwner' | 'usage'>;
  uploads: Pick<UploadRepository, 'create' | 'pendingBytes'>;
  quotaBytes: number;
}): ReserveUpload {
  return (input) =>
    deps.sequelize.transaction(async (transaction) => {
      if (deps.quotaBytes !== Infinity) {
        await deps.fileRows.lockOwner(input.ownerId, transaction);
        const used = await deps.fileRows.usage(input.ownerId, transaction);
        const pending = await deps.uploads.pendingBytes(input.ownerId, transaction);
        if (used + pending + input.size > deps.quotaBytes)
          throw new PayloadTooLarge(fileMessages.overQuota(deps.quotaBytes));
      }
      return deps.uploads.create(input, transaction);
    });
}
