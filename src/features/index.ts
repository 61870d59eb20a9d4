import type Router from '@koa/router';
import type { Infrastructure, ReadinessCheck } from '../deps';
import { createAccountsFeature } from './accounts';
import type { AccountService } from './accounts/service';
import type { TokenService } from './accounts/tokens';
import type { ActivityService } from './activity/service';
import { createCommentsFeature } from './comments';
import type { CommentService } from './comments/service';
import { createFilesFeature } from './files';
import type { FileService } from './files/service';
import { createHealthFeature } from './health';
import { createSharesFeature } from './shares';
import type { ShareService } from './shares/service';
import { createUploadsFeature, type UploadsFeature } from './uploads';
import { createUploadsController } from './uploads/tus-controller';
import { uploadRoutes } from './uploads/routes';

/** Every feature's services, the app's routers in one list, and the features' background work. */
export interface Features {
  accounts: AccountService;
  tokens: TokenService;
  files: FileService;
  /** Fire-and-forget event recorder (ActivityRecorder) plus the reads of /activity and the file page. */
  activity: ActivityService;
  comments: CommentService;
  /** Share links (tokens, expiry, download limits, passwords). */
  shares: ShareService;
  uploads: UploadsFeature;
  /** Every dependency /readyz checks: the database, Redis and MongoDB when configured. */
  readiness: ReadinessCheck[];
  routers: Router[];
  /** Sweeps and store connections, in the order recovery needs (after the migrations). */
  start(): Promise<void>;
  /** Stops the sweeps and waits for activity writes in flight (before the database closes). */
  close(): Promise<void>;
}

/** Builds each feature once over the infrastructure and wires them to each other, here and nowhere else. */
export async function createFeatures(
  infra: Infrastructure,
  options: { wechatTimeoutMs?: number } = {},
): Promise<Features> {
  const { config, sequelize, redis } = infra;
  const accounts = createAccountsFeature(infra, options);
  const files = createFilesFeature(infra);
  const talk = await createCommentsFeature(infra, {
    files: files.service,
    findUser: (id) => accounts.accounts.findById(id),
  });
  const { activity, comments } = talk;
  const shares = createSharesFeature(infra, { files: files.service });
  const uploads = createUploadsFeature({
    uploads: infra.uploadRows,
    sequelize,
    fileRows: infra.fileRows,
    storage: infra.storage,
    files: files.service,
    findUser: (id) => accounts.accounts.findById(id),
    redis,
    activity,
    metrics: infra.metrics,
    logger: infra.logger,
    maxUploadBytes: config.maxUploadBytes,
    expiryMs: config.uploadExpiryMs,
  });

  // Deleting a file: its comments, then its share links, then (FileService.remove) its row, then its content.
  files.service.onDelete((file) => comments.removeAllOf(file));
  files.service.onDelete((file) => shares.service.removeAllOf(file));

  const readiness: ReadinessCheck[] = [{ name: 'database', ping: () => sequelize.authenticate() }];
  if (redis) readiness.push({ name: 'redis', ping: async () => void (await redis.ping()) });
  if (talk.readiness) readiness.push(talk.readiness);
  const health = createHealthFeature({
    readiness,
    metrics: infra.metrics,
    metricsToken: config.metricsToken,
  });

  // Each URL belongs to one router, so their order does not matter.
  const routers = [
    ...health.routes(),
    ...accounts.routes({ activity }),
    ...files.routes({ activity, comments, shares: shares.service, space: uploads.space }),
    ...shares.routes({ activity }),
    ...talk.routes(),
    uploadRoutes(createUploadsController(uploads)),
  ];

  return {
    accounts: accounts.accounts,
    tokens: accounts.tokens,
    files: files.service,
    activity,
    comments,
    shares: shares.service,
    uploads,
    readiness,
    routers,
    async start() {
      // Before the files sweep: an interrupted completion's content must be registered, not taken for an orphan.
      await uploads.start();
      // Leftover temp files and unregistered content, now and every STORAGE_SWEEP_INTERVAL.
      await files.start();
      await talk.start();
    },
    async close() {
      files.stop();
      uploads.stop();
      await talk.close();
    },
  };
}
