import type { Sequelize } from 'sequelize';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { SqlModels } from '../../models/sql';
import { createFileRepository } from './repository';
import { createUploadRepository } from '../uploads/repository';
import type { LocalDiskStorage } from '../../storage/local-disk';
import { storedKeys } from '../../storage/stored-keys';
import { createContentCleanup } from './content-cleanup';
import { createFileService, type FileService } from './service';
import { createStorageSweep, type StorageSweep } from './storage-sweep';

/** The files feature as deps.ts wires it: the service plus its storage sweep and shutdown. */
export interface FilesFeature {
  service: FileService;
  /** The storage sweep (leftover temp files, unregistered content); `start` runs it now and then periodically. */
  sweep: StorageSweep;
  /** Runs the sweep once (a restart leaves no orphan bytes), then every STORAGE_SWEEP_INTERVAL. */
  start(): Promise<void>;
  stop(): void;
}

/** Builds the file service over the SQL models and the local-disk storage. */
export function createFilesFeature(deps: {
  sequelize: Sequelize;
  models: SqlModels;
  storage: LocalDiskStorage;
  logger: Logger;
  config: Config;
}): FilesFeature {
  const cleanup = createContentCleanup(deps.storage, deps.logger);
  const uploads = createUploadRepository(deps.models.Upload);
  const service = createFileService({
    sequelize: deps.sequelize,
    files: createFileRepository(deps.models.File, deps.models.User),
    storage: deps.storage,
    cleanup,
    logger: deps.logger,
    limits: {
      maxUploadBytes: deps.config.maxUploadBytes,
      userQuotaBytes: deps.config.userQuotaBytes,
    },
    reservedBytes: (ownerId, except, transaction) =>
      uploads.pendingBytes(ownerId, transaction, except),
  });
  const sweep = createStorageSweep({
    sweepTemp: () => deps.storage.sweepTemp(),
    storedKeys: (before) => storedKeys(deps.storage, before),
    uploads,
    files: service,
    logger: deps.logger,
  });
  let timer: NodeJS.Timeout | null = null;
  return {
    service,
    sweep,
    async start() {
      await sweep.run();
      if (timer) return;
      timer = setInterval(() => {
        sweep.run().catch((err: unknown) => deps.logger.error({ err }, 'storage sweep failed'));
      }, deps.config.storageSweepIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      cleanup.stop();
      // Terminating a worker thread cannot fail in a way shutdown could act on.
      void deps.storage.close();
    },
  };
}
