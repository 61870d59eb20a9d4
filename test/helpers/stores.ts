import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { createLogger } from '../../src/logger';
import { connectWithRetry, createMongoConnection } from '../../src/models/mongo';
import type { ActivityRepository } from '../../src/features/activity/repository';
import type { CommentRepository } from '../../src/features/comments/repository';
import type { FileRecord } from '../../src/features/files/repository';
import { createMongoActivityRepository } from '../../src/features/activity/mongo-repository';
import { createMongoCommentRepository } from '../../src/features/comments/mongo-repository';
import { createSqlActivityRepository } from '../../src/features/activity/sql-repository';
import { createSqlCommentRepository } from '../../src/features/comments/sql-repository';
import type { User } from '../../src/features/accounts/users-repository';
import { buildTestApp, type TestApp } from './app';
import { DATABASES } from './databases';
import { storeFile } from './stored-files';

/** Where comments and activity live: the SQL stand-ins, or a real MongoDB. */
export type StoreKind = 'sqlite' | 'mysql' | 'mongodb';

/** The SQL stores always run; MongoDB only when TEST_MONGODB_URI names a real server. */
export const SQL_STORES: StoreKind[] = DATABASES;
export const MONGODB_URI = process.env.TEST_MONGODB_URI ?? null;
/** Every store this machine can run: the SQL ones, plus MongoDB (FerretDB in CI) when configured. */
export const STORES: StoreKind[] = [...SQL_STORES, ...(MONGODB_URI ? (['mongodb'] as const) : [])];

/** A unique database on the test MongoDB server, so parallel test files never meet. */
export function uniqueMongoUri(): string {
  const url = new URL(MONGODB_URI as string);
  url.pathname = `/depot_t_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

/**
 * A test app whose comments and activity use `kind` (MongoDB runs beside SQLite for the rest), on a fresh
 * database or on `mongoUri` (dropped at close all the same).
 */
export async function buildStoreApp(
  kind: StoreKind,
  givenUri?: string,
): Promise<TestApp & { mongoUri?: string }> {
  if (kind !== 'mongodb') return buildTestApp({ db: kind });
  const mongoUri = givenUri ?? uniqueMongoUri();
  const t = await buildTestApp({ db: 'sqlite', env: { MONGODB_URI: mongoUri } });
  const close = t.close.bind(t);
  return Object.assign(t, {
    mongoUri,
    async close() {
      await close();
      const admin = await mongoose.createConnection(mongoUri).asPromise();
      await admin.dropDatabase();
      await admin.close();
    },
  });
}

/** The repositories over the same data the app uses (for store-level contract cases). */
export function openStores(
  kind: StoreKind,
  t: TestApp & { mongoUri?: string },
): { comments: CommentRepository; activity: ActivityRepository; close(): Promise<void> } {
  if (kind !== 'mongodb') {
    return {
      comments: createSqlCommentRepository(t.deps.models.Comment),
      activity: createSqlActivityRepository(t.deps.models.Activity),
      close: async () => undefined,
    };
  }
  const mongo = createMongoConnection({ activityTtlDays: t.deps.config.activityTtlDays });
  const connector = connectWithRetry(
    mongo.connection,
    t.mongoUri as string,
    createLogger({ level: 'silent' }),
  );
  return {
    comments: createMongoCommentRepository(mongo.models.Comment),
    activity: createMongoActivityRepository(mongo.models.Activity),
    close: () => connector.stop(),
  };
}

/** A stored comment or event as a plain object: an SQL row, or a MongoDB document (`_id` for `id`). */
export type StoredRow = Record<string, unknown>;

/** Reads what the app stored, straight from its store, bypassing the repositories under test. */
export function storedRows(
  kind: StoreKind,
  t: TestApp & { mongoUri?: string },
): {
  comments(fileId: string): Promise<StoredRow[]>;
  /** Events matching `where` (column names are field names in both stores), oldest first. */
  events(where: Record<string, unknown>): Promise<StoredRow[]>;
  close(): Promise<void>;
} {
  if (kind !== 'mongodb') {
    const { Comment, Activity } = t.deps.models;
    return {
      comments: async (fileId) =>
        (await Comment.findAll({ where: { fileId } })).map((row) => row.get({ plain: true })),
      events: async (where) =>
        (await Activity.findAll({ where, order: [['at', 'ASC']] })).map((row) =>
          row.get({ plain: true }),
        ),
      close: async () => undefined,
    };
  }
  const conn = mongoose.createConnection(t.mongoUri as string);
  return {
    comments: (fileId) => conn.collection<StoredRow>('comments').find({ fileId }).toArray(),
    events: (where) =>
      conn.collection<StoredRow>('activities').find(where).sort({ at: 1 }).toArray(),
    close: () => conn.close(),
  };
}

/** A small text file owned by `owner` (real content in storage, a real row). */
export function storedFile(
  t: TestApp,
  owner: User,
  options: { visibility?: 'private' | 'public'; name?: string; content?: string } = {},
): Promise<FileRecord> {
  return storeFile(t, owner, Buffer.from(options.content ?? 'hello depot\n'), {
    name: options.name ?? `notes-${randomBytes(3).toString('hex')}.txt`,
    type: 'text/plain',
    visibility: options.visibility,
  });
}
