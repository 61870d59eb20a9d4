import { ConnectionStates } from 'mongoose';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { connectWithRetry, createMongoConnection } from '.';
import { ensureIndexes, type MongoCapabilities } from './indexes';
import type { ActivityRepository } from '../../features/activity/repository';
import type { CommentRepository } from '../../features/comments/repository';
import { createMongoActivityRepository } from '../../features/activity/mongo-repository';
import { createMongoCommentRepository } from '../../features/comments/mongo-repository';

const DAY_SECONDS = 86_400;
/** After a failed index creation (the server went away again), the next attempt. */
const INDEX_RETRY_MS = 10_000;

/** The 'mongodb' readiness check; `detail` says which server and which expiry mode is in use. */
interface MongoReadiness {
  name: 'mongodb';
  ping(): Promise<void>;
  detail(): Record<string, string>;
}

/** Comments and activity over one MongoDB (or FerretDB) connection. */
export interface MongoStores {
  comments: CommentRepository;
  activity: ActivityRepository;
  readiness: MongoReadiness;
  /**
   * Connects in the background (with retry), creates the indexes, and where the server refused the TTL
   * index calls `prune` now and every `pruneEveryMs`. Returns the stop for shutdown.
   */
  start(prune: () => Promise<unknown>, pruneEveryMs: number): () => Promise<void>;
}

function describe(capabilities: MongoCapabilities): Record<string, string> {
  const expiry =
    capabilities.activityExpiry === 'ttl-index'
      ? 'TTL index'
      : 'pruned hourly (the server refuses TTL indexes)';
  return { server: capabilities.server, activityExpiry: expiry };
}

/** Builds the Mongo repositories; nothing connects before start(). */
export function createMongoStores(config: Config, logger: Logger, uri: string): MongoStores {
  const timeoutMs = config.timeouts.dependencyMs;
  const mongo = createMongoConnection({ activityTtlDays: config.activityTtlDays, timeoutMs });
  let capabilities: MongoCapabilities | null = null;

  function start(prune: () => Promise<unknown>, pruneEveryMs: number) {
    const connector = connectWithRetry(mongo.connection, uri, logger, { timeoutMs });
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const later = (fn: () => void, ms: number, repeat: boolean) => {
      timer = repeat ? setInterval(fn, ms) : setTimeout(fn, ms);
      timer.unref();
    };
    const detect = async (): Promise<void> => {
      if (stopped) return;
      try {
        capabilities = await ensureIndexes(
          mongo.models,
          config.activityTtlDays * DAY_SECONDS,
          logger,
        );
      } catch (err) {
        if (stopped) return;
        logger.warn({ error: (err as Error).name }, 'mongodb indexes not created, retrying');
        return later(() => void detect(), INDEX_RETRY_MS, false);
      }
      if (capabilities.activityExpiry !== 'pruning' || stopped) return;
      await prune();
      later(() => void prune(), pruneEveryMs, true);
    };
    void connector.opened.then((connected) => (connected ? detect() : undefined));
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await connector.stop();
    };
  }

  return {
    comments: createMongoCommentRepository(mongo.models.Comment),
    activity: createMongoActivityRepository(mongo.models.Activity),
    readiness: {
      name: 'mongodb',
      async ping() {
        const db =
          mongo.connection.readyState === ConnectionStates.connected
            ? mongo.connection.db
            : undefined;
        if (!db) throw new Error('not connected');
        await db.command({ ping: 1 });
      },
      detail: () =>
        capabilities ? describe(capabilities) : { activityExpiry: 'not known until connected' },
    },
    start,
  };
}
