import type { Sequelize } from 'sequelize';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { SqlModels } from '../models/sql';
import { createFileRepository } from '../repositories/files';
import type { LocalDiskStorage } from '../storage/local-disk';
import { storedKeys } from '../storage/stored-keys';
import { createContentCleanup } from './content-cleanup';
import { createFileService, type FileService } from './files';

/** Content this old without a row is an orphan (younger content may be a tus upload finishing right now). */
const ORPHAN_AGE_MS = 3_600_000;

/** The files feature as deps.ts wires it: the service plus its start-up sweep and shutdown. */
export interface FilesFeature {
  service: FileService;
  /** Removes orphaned content left by a crash or a removal that ran out of retries. */
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
  });
  return {
    service,
    async start() {
      const cutoff = new Date(Date.now() - ORPHAN_AGE_MS);
      await service.sweepOrphans(storedKeys(deps.storage, cutoff));
    },
    stop() {
      cleanup.stop();
      // Terminating a worker thread cannot fail in a way shutdown could act on.
      void deps.storage.close();
    },
  };
}
