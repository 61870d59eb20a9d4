import type Router from '@koa/router';
import type { Infrastructure } from '../../deps';
import type { ActivityService } from '../activity/service';
import type { CommentService } from '../comments/service';
import type { ShareService } from '../shares/service';
import { createFormFileReceiver } from '../uploads/form-receiver';
import { createUploadHandler } from '../uploads/form-uploads';
import type { SpaceGuard } from '../uploads/space';
import { createApiFilesController } from './api-controller';
import { createContentCleanup } from './content-cleanup';
import { createDownloadsController } from './downloads-controller';
import { createFilePageController } from './file-page-controller';
import { createHomeController } from './home-controller';
import { createFilesController } from './pages-controller';
import { filesRoutes } from './routes';
import { createFileService, type FileService } from './service';
import { createStorageSweep, type StorageSweep } from './storage-sweep';

/** What the files pages show or check from the other features. */
interface FilesRouteNeeds {
  activity: ActivityService;
  comments: CommentService;
  shares: ShareService;
  /** The free-space check of form uploads (the same as tus uploads'). */
  space: Pick<SpaceGuard, 'assertRoomFor'>;
}

/** The files feature: the service, its storage sweep and shutdown, and its routers. */
export interface FilesFeature {
  service: FileService;
  /** The storage sweep (leftover temp files, unregistered content); `start` runs it now and then periodically. */
  sweep: StorageSweep;
  /** Runs the sweep once (a restart leaves no orphan bytes), then every STORAGE_SWEEP_INTERVAL. */
  start(): Promise<void>;
  stop(): void;
  routes(needs: FilesRouteNeeds): Router[];
}

/** Builds the file service over the one file repository and the storage. */
export function createFilesFeature(infra: Infrastructure): FilesFeature {
  const { config, logger, storage } = infra;
  const cleanup = createContentCleanup(storage, logger);
  const uploads = infra.uploadRows;
  const service = createFileService({
    sequelize: infra.sequelize,
    files: infra.fileRows,
    storage,
    cleanup,
    logger,
    limits: { maxUploadBytes: config.maxUploadBytes, userQuotaBytes: config.userQuotaBytes },
    reservedBytes: (ownerId, except, transaction) =>
      uploads.pendingBytes(ownerId, transaction, except),
  });
  const sweep = createStorageSweep({
    sweepTemp: () => storage.sweepTemp(),
    storedKeys: (before) => storage.keys(before),
    uploads,
    files: service,
    logger,
  });
  let timer: NodeJS.Timeout | null = null;
  return {
    service,
    sweep,
    async start() {
      await sweep.run();
      if (timer) return;
      timer = setInterval(() => {
        sweep.run().catch((err: unknown) => logger.error({ err }, 'storage sweep failed'));
      }, config.storageSweepIntervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      cleanup.stop();
      // Terminating a worker thread cannot fail in a way shutdown could act on.
      void storage.close();
    },
    routes: (needs) => filesRoutes(createControllers(infra, service, needs)),
  };
}

function createControllers(infra: Infrastructure, files: FileService, needs: FilesRouteNeeds) {
  const { config, storage, metrics } = infra;
  const { activity } = needs;
  const receive = createFormFileReceiver({
    storage,
    files,
    metrics,
    limits: {
      maxFileBytes: config.maxUploadBytes,
      maxFiles: config.maxFormFiles,
      quotaBytes: config.userQuotaBytes,
    },
  });
  const storeUploads = createUploadHandler({
    files,
    activity,
    receive,
    storage,
    space: needs.space,
  });
  const filePage = createFilePageController({ files, ...needs });
  return {
    home: createHomeController({
      recentPublicFiles: async (limit) =>
        (await files.recentPublic(limit)).map((file) => ({
          id: file.id,
          name: file.name,
          size: file.size,
          type: file.type,
          createdAt: file.createdAt,
          owner: file.ownerName,
        })),
    }),
    filePage,
    pages: createFilesController({
      files,
      storeUploads,
      countComments: (fileIds) => needs.comments.countByFiles(fileIds),
      renderPage: filePage.render,
    }),
    downloads: createDownloadsController({ storage, metrics, files, activity }),
    api: createApiFilesController({ files, storeUploads }),
  };
}
