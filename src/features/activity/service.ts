import type { Logger } from '../../logger';
import type { ActivityRecord, ActivityRepository, NewActivity } from './repository';
import type { PageOf } from '../comments/repository';
import type { FileRecord } from '../files/repository';
import type { User } from '../accounts/users-repository';
import type { ActivityEvent, ActivityRecorder } from './events';

/** How many events of one file its page shows its owner. */
export const FILE_ACTIVITY_LIMIT = 10;
/** Beyond this many writes in flight (a store that hangs), new events are dropped and logged, not queued. */
const MAX_PENDING_WRITES = 1000;

/** The activity log: the fire-and-forget recorder plus the reads the pages make. */
export interface ActivityService extends ActivityRecorder {
  flush(): Promise<void>;
  /** The user's own events and events on their files, newest first. */
  listForUser(user: User, page: number, perPage: number): Promise<PageOf<ActivityRecord>>;
  /** The file's latest events for its owner; nothing for anyone else. */
  listForFile(file: FileRecord, viewer: User | null): Promise<ActivityRecord[]>;
}

/** What the recorder looks up when the caller did not say (runs after the request, never in it). */
export interface ActivityLookups {
  file(id: string): Promise<{ ownerId: string; name: string } | null>;
  user(id: string): Promise<{ username: string } | null>;
}

/** Builds the activity service over a store (SQL or MongoDB). */
export function createActivityService(deps: {
  store: ActivityRepository;
  lookups: ActivityLookups;
  logger: Logger;
}): ActivityService {
  const { store, lookups, logger } = deps;
  const pending = new Set<Promise<void>>();

  async function complete(event: ActivityEvent): Promise<NewActivity> {
    const fileId = event.fileId ?? null;
    const needsFile = fileId !== null && (event.fileOwnerId == null || event.fileName == null);
    const file = needsFile ? await lookups.file(fileId) : null;
    const needsUser = event.userId !== null && event.userName == null;
    const user = needsUser && event.userId ? await lookups.user(event.userId) : null;
    return {
      type: event.type,
      userId: event.userId,
      userName: event.userName ?? user?.username ?? null,
      fileId,
      fileOwnerId: event.fileOwnerId ?? file?.ownerId ?? null,
      fileName: event.fileName ?? file?.name ?? null,
      ip: event.ip,
      userAgent: event.userAgent,
    };
  }

  async function write(event: ActivityEvent): Promise<void> {
    // Yield first: not even the lookups run inside the request that reported the event.
    await new Promise((resolve) => setImmediate(resolve));
    await store.record(await complete(event));
  }

  return {
    record(event) {
      if (pending.size >= MAX_PENDING_WRITES) {
        logger.error({ activity: { type: event.type } }, 'activity store backed up; event dropped');
        return;
      }
      const done: Promise<void> = write(event)
        .catch((err: Error) =>
          logger.error(
            { err: { name: err.name, message: err.message }, activity: { type: event.type } },
            'activity not recorded',
          ),
        )
        .finally(() => pending.delete(done));
      pending.add(done);
    },
    async flush() {
      await Promise.all([...pending]);
    },
    listForUser: (user, page, perPage) => store.listForUser(user.id, page, perPage),
    async listForFile(file, viewer) {
      if (!viewer || viewer.id !== file.ownerId) return [];
      return store.listForFile(file.id, FILE_ACTIVITY_LIMIT);
    },
  };
}
