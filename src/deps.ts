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
import { createFeatures, type Features } from './features';
import { createFileRepository, type FileRepository } from './features/files/repository';
import { createUploadRepository, type UploadRepository } from './features/uploads/repository';
import { createViews } from './http/views';

/** A dependency /readyz checks. */
export interface ReadinessCheck {
  name: string;
  ping(): Promise<void>;
  /** What /readyz adds under `details` (MongoDB: the server and how expired activity leaves it). */
  detail?(): Record<string, string>;
}

/** What every feature is built over, built once per process (or per test) by createDeps. */
export interface Infrastructure {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  sequelize: Sequelize;
  models: SqlModels;
  redis: Redis | null;
  storage: LocalDiskStorage;
  /** The one file repository: files, shares, activity and uploads all read file rows through it. */
  fileRows: FileRepository;
  /** The one upload repository: tus uploads, the quota of form uploads and the storage sweep read it. */
  uploadRows: UploadRepository;
  hashParams?: PasswordHashParams;
}

/** Everything the app needs, built once per process (or per test) and passed to createApp. */
export interface AppDeps extends Infrastructure, Omit<Features, 'start' | 'close'> {
  assets: AssetStore;
  views: nunjucks.Environment;
  sessionStore: SessionStore;
  /** Background work started after migrations (sweeps, store connections). */
  start(): Promise<void>;
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

/** The composition root: opens the connections (lazily, with retry), then builds every feature over them. */
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
  const metrics = createMetrics({ withDefaults: options.processMetrics ?? false });
  const infra: Infrastructure = {
    config,
    logger,
    metrics,
    sequelize,
    models,
    redis,
    storage,
    fileRows: createFileRepository(models.File, models.User),
    uploadRows: createUploadRepository(models.Upload),
    hashParams: options.hashParams,
  };
  const features = await createFeatures(infra, { wechatTimeoutMs: options.wechatTimeoutMs });

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

  return {
    ...infra,
    ...features,
    assets,
    views,
    sessionStore,
    async start() {
      // The heartbeat first: from now on other instances see this process's temp files as live.
      await storage.start();
      if (sqlSessions) stopSessionPruning = scheduleSessionPruning(sqlSessions, logger);
      await features.start();
    },
    async close() {
      stopSessionPruning();
      // Before the database closes: activity writes still in flight go to it.
      await features.close();
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
