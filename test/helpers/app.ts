import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type Koa from 'koa';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createDeps, type AppDeps, type DepsOptions } from '../../src/deps';
import { createLogger } from '../../src/logger';
import { migrateToLatest } from '../../src/models/sql/migrator';
import { createTestDatabase, makeTempDir, type DatabaseKind } from './databases';

/** Cheap scrypt for tests (the production cost is tested on its own in test/unit/lib/password.test.ts). */
const TEST_HASH_PARAMS = { logN: 10, r: 8, p: 1 };

export interface TestApp {
  app: Koa;
  deps: AppDeps;
  server: ReturnType<Koa['callback']>;
  workDir: string;
  uploadDir: string;
  databaseUrl: string;
  /** Every JSON log line written so far. */
  logs: Record<string, unknown>[];
  /** A new app over the same database and directories (an app restart). */
  restart(): Promise<TestApp>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  db?: DatabaseKind;
  /** Use the real Redis at TEST_REDIS_URL (sessions, rate limits) under a unique key prefix. */
  redis?: boolean;
  env?: Record<string, string>;
  deps?: DepsOptions;
}

/** A fresh app over a fresh database and upload directory; `close()` removes all of it. */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const workDir = makeTempDir();
  const database = await createTestDatabase(options.db ?? 'sqlite', workDir);
  const redisPrefix = `depot-test:${randomBytes(6).toString('hex')}:`;
  const uploadDir = path.join(workDir, 'uploads');
  fs.mkdirSync(uploadDir, { recursive: true });
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    // Each test app signs with its own random secrets: none is a constant anywhere (kept across restart()).
    APP_KEYS: randomBytes(32).toString('base64url'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
    DATA_DIR: workDir,
    DATABASE_URL: database.url,
    UPLOAD_DIR: uploadDir,
    LOG_LEVEL: 'info',
    // A suite's requests all come from one address: only the tests of these limits use the real ones.
    SIGNIN_FAILURES_PER_ADDRESS: '100000',
    REGISTRATIONS_PER_HOUR: '100000',
    ...(options.redis ? { REDIS_URL: requireRedisUrl() } : {}),
    ...options.env,
  };

  async function start(): Promise<TestApp> {
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    const config = loadConfig(env);
    const logger = createLogger({ level: config.logLevel }, sink);
    const deps = await createDeps(config, logger, {
      hashParams: TEST_HASH_PARAMS,
      redisKeyPrefix: redisPrefix,
      wechatTimeoutMs: 500,
      ...options.deps,
    });
    await migrateToLatest(deps.sequelize, logger);
    await deps.start?.();
    const app = createApp(deps);
    let closed = false;
    const closeApp = async () => {
      if (closed) return;
      closed = true;
      await deps.close();
    };
    return {
      app,
      deps,
      server: app.callback(),
      workDir,
      uploadDir,
      databaseUrl: database.url,
      logs,
      async restart() {
        await closeApp();
        return start();
      },
      async close() {
        await closeApp();
        await cleanupRedis(redisPrefix, options.redis);
        await database.drop();
        fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
  }
  return start();
}

function requireRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set');
  return url;
}

async function cleanupRedis(prefix: string, used?: boolean): Promise<void> {
  if (!used) return;
  const { Redis } = await import('ioredis');
  const redis = new Redis(requireRedisUrl());
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
