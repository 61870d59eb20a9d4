import { MemoryLocker, Server } from '@tus/server';
import type { Locker } from '@tus/utils';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { newId } from '../../lib/ids';
import type { Logger } from '../../logger';
import { registerUploadDirGauges, type Metrics } from '../../metrics';
import type { FileRepository } from '../files/repository';
import type { UploadRecord, UploadRepository } from './repository';
import type { User } from '../accounts/users-repository';
import type { Storage } from '../../storage/types';
import type { ActivityRecorder } from '../activity/events';
import { PayloadTooLarge } from '../../errors';
import { fileMessages, type FileService } from '../files/service';
import { createUploadCompleter, type UploadCompleter } from './completion';
import { RedisLocker } from './redis-locker';
import { tusFailure } from './failures';
import { createUploadReservation } from './reservation';
import { currentUploadScope, type UploadRequestScope } from './request-scope';
import { createSpaceGuard, type SpaceGuard } from './space';
import { sweepUploads, type SweepResult } from './sweeper';
import { DepotTusStore } from './tus-store';

/** Where the tus endpoint is mounted. */
const UPLOADS_PATH = '/api/uploads';
/** A request that waited this long for another request's lock gets 423. */
const LOCK_WAIT_MS = 10_000;
/** Upload owners remembered in memory (see isOwnedBy). */
const KNOWN_OWNERS = 10_000;

/** What the resumable-upload feature needs from the rest of the app. */
export interface UploadsFeatureDeps {
  /** The upload rows (the composition root's one repository). */
  uploads: UploadRepository;
  sequelize: Sequelize;
  /** The file rows, for the owner lock and usage of the quota reservation. */
  fileRows: Pick<FileRepository, 'lockOwner' | 'usage'>;
  storage: Storage;
  files: Pick<
    FileService,
    'assertCanStore' | 'usage' | 'register' | 'findVisible' | 'discardContent' | 'quota'
  >;
  findUser(id: string): Promise<User | null>;
  redis: Redis | null;
  activity: ActivityRecorder;
  metrics: Metrics;
  logger: Logger;
  maxUploadBytes: number;
  expiryMs: number;
  sweepIntervalMs?: number;
}

/** tus 1.0.0 resumable uploads: the @tus/server instance plus the rules around it. */
export interface UploadsFeature {
  server: Server;
  completer: UploadCompleter;
  /** The upload if `user` created it; null otherwise (callers answer 404 either way). */
  findOwn(id: string, user: User): Promise<UploadRecord | null>;
  /** Whether `user` created upload `id` (which may be gone since: the store answers 404 then). */
  isOwnedBy(id: string, user: User): Promise<boolean>;
  /**
   * Throws PayloadTooLarge when `size` more bytes (plus the user's other unfinished uploads) do not fit the quota,
   * InsufficientStorage when they do not fit the disk. An early answer; creation itself reserves the quota.
   */
  assertCanCreate(user: User, size: number): Promise<void>;
  /** The free-space check of every upload (form uploads too) and the disk report behind the gauges. */
  space: SpaceGuard;
  /** One maintenance pass (finish interrupted completions, expire, remove orphans). */
  sweep(): Promise<SweepResult>;
  /** Runs a sweep now and then periodically (unref'd timer). */
  start(): Promise<void>;
  stop(): void;
}

/**
 * A creation refused after its row was made (a creation-with-upload body longer than Upload-Length, a checksum
 * mismatch, a client that went away): the answer carries no Location, so no client can resume it. Its row,
 * partial file and reserved quota go at once instead of lingering until expiry. If that fails, the sweep
 * removes them at expiry as before.
 */
async function discardRefusedCreation(
  scope: UploadRequestScope,
  discard: (id: string) => Promise<void>,
): Promise<void> {
  const id = scope.creating as string;
  scope.creating = undefined;
  await discard(id).catch((err: unknown) =>
    scope.log.warn({ err, uploadId: id }, 'refused upload creation not removed'),
  );
}

/** Builds the feature: store, locker (Redis when configured), completion and sweep. */
export function createUploadsFeature(deps: UploadsFeatureDeps): UploadsFeature {
  const { uploads } = deps;
  const partials = deps.storage.uploads;
  const locker: Locker = deps.redis
    ? new RedisLocker(deps.redis, { acquireTimeoutMs: LOCK_WAIT_MS })
    : new MemoryLocker({ acquireLockTimeout: LOCK_WAIT_MS });
  const discard = async (id: string) => {
    await partials.remove(id);
    await uploads.remove(id);
  };
  const store = new DepotTusStore({
    uploads,
    partials,
    reserve: createUploadReservation({
      sequelize: deps.sequelize,
      fileRows: deps.fileRows,
      uploads,
      quotaBytes: deps.files.quota,
    }),
    metrics: deps.metrics,
    expiryMs: deps.expiryMs,
    discard,
    logger: deps.logger,
  });
  // A backend that reports no free space has no disk to fill: only the quota limits it.
  const freeBytes = async () => (await deps.storage.freeBytes()) ?? Infinity;
  const space = createSpaceGuard({ freeBytes, uploads, partials });
  registerUploadDirGauges(deps.metrics, () => space.report());
  const completer = createUploadCompleter({ ...deps, uploads, partials, locker });
  const server = new Server({
    path: UPLOADS_PATH,
    datastore: store,
    locker,
    maxSize: deps.maxUploadBytes,
    relativeLocation: true,
    // Same-origin only: no CORS headers for other sites.
    allowedOrigins: [],
    namingFunction: () => newId(),
    disableTerminationForFinishedUploads: true,
    async onUploadFinish(_req, upload) {
      const scope = currentUploadScope();
      await completer.complete(upload.id, {
        ip: scope?.ip ?? '',
        userAgent: scope?.userAgent ?? '',
      });
      return {};
    },
    async onResponseError(req, err) {
      const scope = currentUploadScope();
      if (scope?.creating) await discardRefusedCreation(scope, discard);
      return tusFailure(req.method, err, scope, deps.logger);
    },
  });
  const sweep = () =>
    sweepUploads({
      uploads,
      partials,
      completer,
      discard,
      expiryMs: deps.expiryMs,
      logger: deps.logger,
    });
  let timer: NodeJS.Timeout | null = null;
  // Upload id -> owner id. An upload's owner never changes, so once known it needs no query: every PATCH
  // of a chunked upload is checked from here (the store still reads the row under the lock).
  const owners = new Map<string, string>();
  const rememberOwner = (record: UploadRecord) => {
    if (owners.size >= KNOWN_OWNERS) owners.delete(owners.keys().next().value!);
    owners.set(record.id, record.ownerId);
  };
  async function findOwn(id: string, user: User): Promise<UploadRecord | null> {
    const record = await uploads.find(id);
    if (record) rememberOwner(record);
    return record && record.ownerId === user.id ? record : null;
  }

  return {
    server,
    completer,
    findOwn,
    async isOwnedBy(id, user) {
      const known = owners.get(id);
      if (known !== undefined) return known === user.id;
      return (await findOwn(id, user)) !== null;
    },
    async assertCanCreate(user, size) {
      await deps.files.assertCanStore(user, size);
      // Unfinished uploads count too: ten parallel uploads must not each fit into the same free space.
      const { used, quota } = await deps.files.usage(user);
      if (used + (await uploads.pendingBytes(user.id)) + size > quota)
        throw new PayloadTooLarge(fileMessages.overQuota(quota));
      await space.assertRoomFor(size);
    },
    space,
    sweep,
    async start() {
      await sweep();
      const every = deps.sweepIntervalMs ?? Math.min(deps.expiryMs, 3_600_000);
      timer = setInterval(() => {
        sweep().catch((err: unknown) => deps.logger.error({ err }, 'upload sweep failed'));
      }, every);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
