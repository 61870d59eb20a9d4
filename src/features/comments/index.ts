import type Router from '@koa/router';
import type { Config } from '../../config';
import type { Infrastructure, ReadinessCheck } from '../../deps';
import type { Logger } from '../../logger';
import type { SqlModels } from '../../models/sql';
import { createActivityController } from '../activity/controller';
import type { ActivityRepository } from '../activity/repository';
import { createActivityService, type ActivityService } from '../activity/service';
import { createSqlActivityRepository } from '../activity/sql-repository';
import type { FileService } from '../files/service';
import { createApiCommentsController, createCommentPagesController } from './controller';
import type { CommentRepository } from './repository';
import { commentsRoutes } from './routes';
import { createCommentService, type CommentService } from './service';
import { createSqlCommentRepository } from './sql-repository';

const PRUNE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Comments and the activity log over one store: MongoDB when MONGODB_URI is set, else the SQL tables. */
export interface CommentsFeature {
  comments: CommentService;
  activity: ActivityService;
  /** The 'mongodb' readiness check, when MongoDB is configured (its detail: server and expiry mode). */
  readiness: ReadinessCheck | null;
  /** Connects to MongoDB (with retry, in the background) or schedules pruning of old events. */
  start(): Promise<void>;
  /** Waits for activity writes in flight, then closes the MongoDB connection. */
  close(): Promise<void>;
  /** Comments (pages and API) and /activity. */
  routes(): Router[];
}

interface Stores {
  comments: CommentRepository;
  activity: ActivityRepository;
  readiness: CommentsFeature['readiness'];
  /** Background work: pruning (SQL; Mongo only where the TTL index is refused) and the Mongo connection. */
  start(prune: () => Promise<unknown>): Promise<() => Promise<void>>;
}

async function createStores(config: Config, models: SqlModels, logger: Logger): Promise<Stores> {
  if (!config.mongodbUri) {
    return {
      comments: createSqlCommentRepository(models.Comment),
      activity: createSqlActivityRepository(models.Activity),
      readiness: null,
      async start(prune) {
        await prune();
        // prune catches and logs its own failure: nothing is left for the timer to handle.
        const pruner = setInterval(() => void prune(), PRUNE_EVERY_MS);
        pruner.unref();
        return () => Promise.resolve(clearInterval(pruner));
      },
    };
  }
  // Loaded only when configured: Mongoose and the MongoDB driver are ~30 MB of every process's memory.
  const { createMongoStores } = await import('../../models/mongo/store');
  const mongo = createMongoStores(config, logger, config.mongodbUri);
  return {
    ...mongo,
    start: (prune) => Promise.resolve(mongo.start(prune, PRUNE_EVERY_MS)),
  };
}

/** Builds both services over one store choice; the composition root wires the cascade of a deleted file. */
export async function createCommentsFeature(
  infra: Infrastructure,
  needs: { files: FileService; findUser: (id: string) => Promise<{ username: string } | null> },
): Promise<CommentsFeature> {
  const { config, logger } = infra;
  const stores = await createStores(config, infra.models, logger);
  const activity = createActivityService({
    store: stores.activity,
    lookups: { file: (id) => infra.fileRows.findById(id), user: needs.findUser },
    logger,
  });
  const comments = createCommentService({ store: stores.comments, files: needs.files, activity });

  let stop: () => Promise<void> = () => Promise.resolve();
  const prune = () =>
    stores.activity
      .prune(new Date(Date.now() - config.activityTtlDays * DAY_MS))
      .catch((err: Error) => logger.warn({ error: err.message }, 'activity pruning failed'));

  return {
    comments,
    activity,
    readiness: stores.readiness,
    async start() {
      stop = await stores.start(prune);
    },
    async close() {
      await activity.flush();
      await stop();
    },
    routes: () =>
      commentsRoutes({
        pages: createCommentPagesController({ comments, files: needs.files }),
        activity: createActivityController({ activity }),
        api: createApiCommentsController({ comments }),
      }),
  };
}
