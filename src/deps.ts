import path from 'node:path';
import type { Redis } from 'ioredis';
import type nunjucks from 'nunjucks';
import type { Sequelize } from 'sequelize';
import { loadAssets, type AssetStore } from './http/assets';
import type { Config } from './config';
import type { PasswordHashParams } from './lib/password';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createSequelize, defineModels, type SqlModels } from './models/sql';
import { LocalDiskStorage } from './storage/local-disk';
import {
  createSqlSessionStore,
  scheduleSessionPruning,
  type SessionStore,
} from './http/session-store';
import { createUserRepository } from './features/accounts/users-repository';
import { createAccountService, type AccountService } from './features/accounts/service';
import type { ActivityService } from './features/activity/service';
import type { CommentService } from './features/comments/service';
import { createCommentsFeature } from './features/comments';
import type { FileService } from './features/files/service';
import { createFilesFeature } from './features/files';
import { createShareRepository } from './features/shares/repository';
import { createFileRepository } from './features/files/repository';
import { createShareService, type ShareService } from './features/shares/service';
import {
  createAttemptLimiter,
  REGISTRATION_WINDOW_SECONDS,
  type AttemptLimiter,
  type SignInLimits,
} from './features/accounts/rate-limit';
import { createTokenService, type TokenService } from './features/accounts/tokens';
import { createUploadsFeature, type UploadsFeature } from './features/uploads';
import { createWechatClient, type WechatClient } from './features/accounts/wechat';
import { createViews } from './http/views';

/** A dependency /readyz checks. */
export interface ReadinessCheck {
  name: string;
  ping(): Promise<void>;
  /** What /readyz adds under `details` (MongoDB: the server and how expired activity leaves it). */
  detail?(): Record<string, string>;
}

/** Everything the app needs, built once per process (or per test) and passed to createApp. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  sequelize: Sequelize;
  models: SqlModels;
  redis: Redis | null;
  storage: LocalDiskStorage;
  assets: AssetStore;
  views: nunjucks.Environment;
  sessionStore: SessionStore;
  readiness: ReadinessCheck[];
  accounts: AccountService;
  tokens: TokenService;
  /** Failed sign-ins per IP and user name, and per IP across all names (pages, API, password change). */
  signInLimits: SignInLimits;
  /** Registration attempts per IP. */
  registrationLimiter: AttemptLimiter;
  wechat: WechatClient | null;
  /** Fire-and-forget event recorder (ActivityRecorder) plus the reads of /activity and the file page. */
  activity: ActivityService;
  comments: CommentService;
  files: FileService;
  uploads: UploadsFeature;
  /** Share links (tokens, expiry, download limits, passwords). */
  shares: ShareService;
  /** Failed share-password attempts, per IP and link (same budget as sign-in). */
  shareLimiter: AttemptLimiter;
  /** Background work started after migrations (sweeps, store connections); optional per feature. */
  start?(): Promise<void>;
  close(): Promise<void>;
}

/** Knobs tests turn; production uses the defaults. */
export interface DepsOptions {
  rootDir?: string;
  hashParams?: PasswordHashParams;
  redisKeyPrefix?: string;
  wechatTimeoutMs?: number;
  processMetrics?: boolean;
}

const ROOT_DIR = path.resolve(__dirname, '..');

/** Opens the connections (lazily, with retry) and builds every service. */
export async function createDeps(
  config: Config,
  logger: Logger,
  options: DepsOptions = {},
): Promise<AppDeps> {
  const rootDir = options.rootDir ?? ROOT_DIR;
  const sequelize = createSequelize(config.databaseUrl, logger, config.timeouts.dependencyMs);
  const models = defineModels(sequelize);
  const redis = config.redisUrl
    ? await createRedis(config.redisUrl, {
        keyPrefix: options.redisKeyPrefix ?? 'depot:',
        timeoutMs: config.timeouts.dependencyMs,
        logger,
      })
    : null;
  const storage = new LocalDiskStorage(path.resolve(rootDir, config.uploadDir));
  const assets = await loadAssets(path.join(rootDir, 'public'));
  const views = createViews(path.join(rootDir, 'views'), {
    cache: config.env !== 'development',
    assets,
  });
  const sqlSessions = redis ? null : createSqlSessionStore(models.Session);
  const sessionStore = redis
    ? (await import('koa-redis')).default({ client: redis })
    : (sqlSessions as SessionStore);
  let stopSessionPruning = () => {};
  const accounts = createAccountService({
    sequelize,
    users: createUserRepository(models.User),
    hashParams: options.hashParams,
  });
  const filesFeature = createFilesFeature({ sequelize, models, storage, logger, config });
  const commentsFeature = await createCommentsFeature({
    config,
    models,
    files: filesFeature.service,
    accounts,
    logger,
  });
  const fileRows = createFileRepository(models.File, models.User);
  const shares = createShareService({
    shares: createShareRepository({ sequelize, Share: models.Share, File: models.File }),
    files: filesFeature.service,
    findFile: (id) => fileRows.findById(id),
    hashParams: options.hashParams,
  });
  const { appId, secret, apiBase } = config.wechat;
  const readiness: ReadinessCheck[] = [{ name: 'database', ping: () => sequelize.authenticate() }];
  if (redis) readiness.push({ name: 'redis', ping: async () => void (await redis.ping()) });
  if (commentsFeature.readiness) readiness.push(commentsFeature.readiness);

  const metrics = createMetrics({ withDefaults: options.processMetrics ?? false });
  const uploads = createUploadsFeature({
    model: models.Upload,
    sequelize,
    fileRows,
    storage,
    files: filesFeature.service,
    findUser: (id) => accounts.findById(id),
    redis,
    activity: commentsFeature.activity,
    metrics,
    logger,
    maxUploadBytes: config.maxUploadBytes,
    expiryMs: config.uploadExpiryMs,
  });

  return {
    config,
    logger,
    metrics,
    sequelize,
    models,
    redis,
    storage,
    assets,
    views,
    sessionStore,
    readiness,
    accounts,
    tokens: createTokenService({ secret: config.jwtSecret, ttlSeconds: config.jwtTtlSeconds }),
    signInLimits: {
      byName: createAttemptLimiter({ redis, keyPrefix: 'login-fail' }),
      byAddress: createAttemptLimiter({
        redis,
        keyPrefix: 'login-ip-fail',
        points: config.limits.signInFailuresPerAddress,
      }),
    },
    registrationLimiter: createAttemptLimiter({
      redis,
      keyPrefix: 'register',
      points: config.limits.registrationsPerHour,
      windowSeconds: REGISTRATION_WINDOW_SECONDS,
    }),
    wechat:
      appId && secret
        ? createWechatClient(
            { appId, secret, apiBase, timeoutMs: options.wechatTimeoutMs ?? 5000 },
            logger,
          )
        : null,
    activity: commentsFeature.activity,
    comments: commentsFeature.comments,
    files: filesFeature.service,
    uploads,
    shares,
    shareLimiter: createAttemptLimiter({ redis, keyPrefix: 'share-password-fail' }),
    async start() {
      // The heartbeat first: from now on other instances see this process's temp files as live.
      await storage.start();
      if (sqlSessions) stopSessionPruning = scheduleSessionPruning(sqlSessions, logger);
      // Before the files sweep: an interrupted completion's content must be registered, not taken for an orphan.
      await uploads.start();
      // Leftover temp files and unregistered content, now and every STORAGE_SWEEP_INTERVAL.
      await filesFeature.start();
      await commentsFeature.start();
    },
    async close() {
      stopSessionPruning();
      filesFeature.stop();
      uploads.stop();
      // Before the database closes: activity writes still in flight go to it.
      await commentsFeature.close();
      await sequelize.close();
      if (redis) redis.disconnect();
    },
  };
}

// ioredis and koa-redis are loaded only when REDIS_URL is set (~18 MB of memory otherwise unused).
async function createRedis(
  url: string,
  options: { keyPrefix: string; timeoutMs: number; logger: Logger },
): Promise<Redis> {
  const { keyPrefix, timeoutMs, logger } = options;
  const { Redis: RedisClient } = await import('ioredis');
  const redis = new RedisClient(url, {
    keyPrefix,
    // A frozen Redis answers nothing: each command (queued ones too) fails after timeoutMs -> 503.
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    // A Redis that is down fails the commands waiting for it after one reconnection attempt, not two.
    maxRetriesPerRequest: 1,
    // Reconnect forever with capped backoff (so a returning Redis is used within 5 s); /readyz reports it.
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  let reported = false;
  redis.on('error', (err) => {
    if (!reported) logger.warn({ err: { message: err.message } }, 'redis unavailable, retrying');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}
