import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../../logger';
import { defineActivityDocModel, type ActivityDocModel } from './activity';
import { defineCommentDocModel, type CommentDocModel } from './comment';

/** Every Mongoose model of one connection. */
export interface MongoModels {
  Comment: CommentDocModel;
  Activity: ActivityDocModel;
}

/**
 * A not-yet-opened connection with the models registered (commands wait until it opens, `timeoutMs` at most,
 * DEPENDENCY_TIMEOUT in the app).
 */
export function createMongoConnection(options: { activityTtlDays: number; timeoutMs?: number }): {
  connection: Connection;
  models: MongoModels;
} {
  const connection = mongoose.createConnection();
  // Collections and indexes come from ensureIndexes, not from Mongoose at open time (it hides refusals).
  connection.set('autoCreate', false);
  connection.set('autoIndex', false);
  return {
    connection,
    models: {
      Comment: defineCommentDocModel(connection, options.timeoutMs),
      Activity: defineActivityDocModel(connection, options.activityTtlDays, options.timeoutMs),
    },
  };
}

const MAX_RETRY_DELAY_MS = 30_000;

/** A connection attempt loop: `stop()` ends it (shutdown), `opened` is true once connected, false if stopped first. */
export interface MongoConnector {
  opened: Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Opens `connection` to `uri`, retrying with capped exponential backoff while the server is unreachable
 * (after the first success the driver itself reconnects). /readyz reports MongoDB until it is up.
 */
export function connectWithRetry(
  connection: Connection,
  uri: string,
  logger: Logger,
  options: { serverSelectionTimeoutMS?: number; firstDelayMs?: number; timeoutMs?: number } = {},
): MongoConnector {
  const timeoutMs = options.timeoutMs ?? 5000;
  // A frozen server answers nothing, and the driver would wait for it forever. Each step is bounded by
  // timeoutMS (DEPENDENCY_TIMEOUT): a reply, a new socket's handshake, a wait for a free pooled connection
  // (the driver's own timeoutMS has no effect since driver 7). No retried reads: a retry would double the
  // wait on a frozen server, and a page rather answers 503 in time (Retry-After) than late.
  const bounds = {
    socketTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    waitQueueTimeoutMS: timeoutMs,
    retryReads: false,
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
      timer.unref();
    });

  const opened = (async () => {
    let delay = options.firstDelayMs ?? 500;
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        // A timeout given in the URI wins; otherwise a bounded default keeps each attempt short.
        const inUri = /[?&]serverSelectionTimeoutMS=/i.test(uri);
        await connection.openUri(uri, {
          ...bounds,
          ...(inUri
            ? {}
            : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? timeoutMs }),
        });
        logger.info({ attempt }, 'mongodb connected');
        return true;
      } catch (err) {
        if (stopped) return false;
        // Only the error's name: driver messages can quote hosts and options from the URI.
        logger.warn(
          { attempt, retryInMs: delay, error: (err as Error).name },
          'mongodb unavailable, retrying',
        );
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
    return false;
  })();

  return {
    opened,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      // Closing the driver's client ends an attempt that is still selecting a server, instead of waiting it out.
      await connection
        .getClient()
        ?.close(true)
        .catch(() => undefined);
      await opened;
      await connection.close();
    },
  };
}
