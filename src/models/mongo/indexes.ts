import type { mongo } from 'mongoose';
import type { Logger } from '../../logger';
import type { MongoModels } from '.';

/** How expired activity leaves the store: MongoDB's TTL index, or Depot's own periodic delete. */
type ActivityExpiry = 'ttl-index' | 'pruning';

/** What ensureIndexes found out about the server, for /readyz and the log. */
export interface MongoCapabilities {
  /** `FerretDB v1.24.2` or `MongoDB 7.0.5`, from buildInfo. */
  server: string;
  activityExpiry: ActivityExpiry;
}

/** The server already has `at_1` with other options (ACTIVITY_TTL_DAYS changed, or a plain index). */
const INDEX_CONFLICT_CODES = new Set([85, 86]);

interface ServerError {
  name?: unknown;
  code?: unknown;
  codeName?: unknown;
}

/** The server answered and said no (as opposed to a network failure or timeout, which is retried). */
function isServerRefusal(err: unknown): err is ServerError {
  const e = err as ServerError | null;
  return e?.name === 'MongoServerError' && typeof e.code === 'number';
}

async function serverName(models: MongoModels): Promise<string> {
  const db = models.Activity.db.db;
  const info = db ? await db.admin().command({ buildInfo: 1 }) : {};
  return typeof info.ferretdbVersion === 'string'
    ? `FerretDB ${info.ferretdbVersion}`
    : `MongoDB ${String(info.version)}`;
}

/** The TTL index on activities.at, or a plain one where the server refuses TTL indexes. */
async function ensureActivityExpiry(
  models: MongoModels,
  ttlSeconds: number,
  logger: Logger,
): Promise<ActivityExpiry> {
  const { collection } = models.Activity;
  try {
    await collection.createIndex({ at: 1 }, { name: 'at_1', expireAfterSeconds: ttlSeconds });
    return 'ttl-index';
  } catch (err) {
    if (!isServerRefusal(err)) throw err;
    if (INDEX_CONFLICT_CODES.has(err.code as number)) {
      // collMod changes the TTL in place (or makes a plain index a TTL one) without rebuilding it.
      await models.Activity.db.db?.command({
        collMod: collection.collectionName,
        index: { name: 'at_1', expireAfterSeconds: ttlSeconds },
      });
      return 'ttl-index';
    }
    logger.warn(
      { code: err.code, codeName: err.codeName },
      'mongodb refuses TTL indexes; expired activity is pruned hourly instead',
    );
    // Pruning deletes by `at`: it needs the index all the same.
    await collection.createIndex({ at: 1 }, { name: 'at_1' });
    return 'pruning';
  }
}

/**
 * Creates the collections' indexes on the open connection and finds out whether the server takes the TTL
 * index (MongoDB does, FerretDB v1 answers NotImplemented). Network failures reject; the caller retries.
 */
export async function ensureIndexes(
  models: MongoModels,
  ttlSeconds: number,
  logger: Logger,
): Promise<MongoCapabilities> {
  for (const model of [models.Comment, models.Activity]) {
    for (const [keys, options] of model.schema.indexes()) {
      if (options.expireAfterSeconds !== undefined) continue;
      // Our schemas use only the driver's own option forms (no Mongoose `unique: [true, message]`).
      const driverOptions = options as mongo.CreateIndexesOptions;
      await model.collection.createIndex(keys as mongo.IndexSpecification, driverOptions);
    }
  }
  const activityExpiry = await ensureActivityExpiry(models, ttlSeconds, logger);
  const capabilities = { server: await serverName(models), activityExpiry };
  logger.info({ mongodb: capabilities }, 'mongodb indexes ready');
  return capabilities;
}
