import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../../logger';
import { defineActivityDocModel, type ActivityDocModel } from './activity';
import { defineCommentDocModel, type CommentDocModel } from './comment';

/** Every Mongoose model of one connection. */
export interface MongoModels {
  Comment: CommentDocModel;
  Activity: ActivityDocModel;
}

/** A not-yet-opened connection with the models registered (commands wait until it opens). */
export function createMongoConnection(options: { activityTtlDays: number }): {
  connection: Connection;
  models: MongoModels;
} {
  const connection = mongoose.createConnection();
  return {
    connection,
    models: {
      Comment: defineCommentDocModel(connection),
      Activity: defineActivityDocModel(connection, options.activityTtlDays),
    },
  };
}

const MAX_RETRY_DELAY_MS = 30_000;

/** A connection attempt loop: `stop()` ends it (shutdown), `opened` settles once connected. */
export interface MongoConnector {
  opened: Promise<void>;
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
  options: { serverSelectionTimeoutMS?: number; firstDelayMs?: number } = {},
): MongoConnector {
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
        await connection.openUri(
          uri,
          inUri ? {} : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000 },
        );
        logger.info({ attempt }, 'mongodb connected');
        return;
      } catch (err) {
        if (stopped) return;
        // Only the error's name: driver messages can quote hosts and options from the URI.
        logger.warn(
          { attempt, retryInMs: delay, error: (err as Error).name },
          'mongodb unavailable, retrying',
        );
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
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
