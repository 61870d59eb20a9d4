import { ConnectionError, TimeoutError } from 'sequelize';
import { ServiceUnavailable, type AppError } from '../errors';
import { QUERY_DEADLINE_ERROR } from '../models/sql/query-deadline';

/** Seconds a client is asked to wait before retrying (the bound of one dependency call). */
const RETRY_AFTER_SECONDS = 5;

type Dependency = 'database' | 'redis' | 'mongodb';

/** User-visible words of the 503s, one per dependency. */
export const dependencyMessages: Record<Dependency, string> = {
  database: 'Depot cannot reach its database right now. Try again in a moment.',
  redis: 'Depot cannot reach its session store (Redis) right now. Try again in a moment.',
  mongodb: 'Depot cannot reach its comment store (MongoDB) right now. Try again in a moment.',
};

/** Sequelize's errors for a server that cannot be reached, or a pooled connection not had in time. */
const SEQUELIZE_UNREACHABLE = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeConnectionTimedOutError',
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeHostNotFoundError',
  'SequelizeHostNotReachableError',
  'SequelizeInvalidConnectionError',
  'SequelizeAccessDeniedError',
  'SequelizeTimeoutError',
  QUERY_DEADLINE_ERROR,
]);

/** Driver codes (mysql2, under a Sequelize error) of a connection that broke or never answered. */
const DRIVER_LINK_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ER_CON_COUNT_ERROR',
]);

/** ioredis: a command past commandTimeout, a connection that is gone, or no reconnection in time. */
const REDIS_MESSAGES = [
  /^Command timed out$/,
  /^Connection is closed\.?$/,
  /^Stream isn't writeable/,
  /^Reached the max retries per request limit/,
];

const MONGO_NAMES = new Set([
  'MongooseServerSelectionError',
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  // A frozen server: no pooled connection became free within DEPENDENCY_TIMEOUT, or the monitor gave up on it.
  'MongoWaitQueueTimeoutError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
]);

interface Failure {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  parent?: unknown;
  original?: unknown;
}

function dependencyOf(e: Failure): Dependency | null {
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  // By class too: subclasses with names of their own (the SQLite write queue's timeout) are still these.
  if (SEQUELIZE_UNREACHABLE.has(name) || e instanceof ConnectionError || e instanceof TimeoutError)
    return 'database';
  if (name.startsWith('Sequelize')) {
    const driver = (e.parent ?? e.original) as Failure | undefined;
    if (typeof driver?.code === 'string' && DRIVER_LINK_CODES.has(driver.code)) return 'database';
    const driverMessage = typeof driver?.message === 'string' ? driver.message : message;
    if (/connection is in closed state/i.test(driverMessage)) return 'database';
  }
  if (name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((re) => re.test(message)))
    return 'redis';
  if (MONGO_NAMES.has(name) || (name === 'MongooseError' && /buffering timed out/.test(message)))
    return 'mongodb';
  return null;
}

/**
 * A database, Redis or MongoDB that is down or frozen, anywhere in `err`'s cause chain (libraries wrap
 * each other's errors) -> 503 naming it, with Retry-After. Anything else is not ours to name: null.
 */
export function dependencyFailure(err: unknown): AppError | null {
  for (let e = err as Failure | null, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const dependency = dependencyOf(e);
    if (dependency)
      return new ServiceUnavailable(dependencyMessages[dependency], RETRY_AFTER_SECONDS, {
        cause: err,
      });
    e = e.cause as Failure | null;
  }
  return null;
}
