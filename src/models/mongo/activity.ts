import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../../lib/ids';
import { USER_AGENT_MAX } from '../../features/activity/repository';
import { ACTIVITY_TYPES, type ActivityType } from '../../features/activity/events';

/** A document of the `activities` collection. */
export interface ActivityDoc {
  _id: string;
  type: ActivityType;
  userId: string | null;
  userName: string | null;
  fileId: string | null;
  fileOwnerId: string | null;
  fileName: string | null;
  ip: string;
  userAgent: string;
  at: Date;
}

export type ActivityDocModel = Model<ActivityDoc>;

const DAY_SECONDS = 86_400;

/**
 * The schema, with a TTL index that lets MongoDB delete events `ttlDays` after they happened (a server that
 * refuses TTL indexes, FerretDB, gets a plain one and periodic pruning: see ensureIndexes).
 */
function buildActivitySchema(ttlDays: number, bufferTimeoutMS = 5000): Schema<ActivityDoc> {
  const optionalId = { type: String, default: null };
  const schema = new Schema<ActivityDoc>(
    {
      _id: { type: String, default: newId },
      type: { type: String, required: true, enum: [...ACTIVITY_TYPES] },
      userId: optionalId,
      userName: optionalId,
      fileId: optionalId,
      fileOwnerId: optionalId,
      fileName: { type: String, default: null, maxlength: 255 },
      ip: { type: String, default: '', maxlength: 64 },
      userAgent: { type: String, default: '', maxlength: USER_AGENT_MAX },
      at: { type: Date, required: true, default: Date.now },
    },
    // While MongoDB is away, an operation waits this long (DEPENDENCY_TIMEOUT) for it, then fails (logged, or a 503).
    {
      collection: 'activities',
      versionKey: false,
      strict: 'throw',
      bufferTimeoutMS,
      autoIndex: false,
    },
  );
  // /activity is "my events OR events on my files": MongoDB merges these two sorted index scans.
  schema.index({ userId: 1, at: -1 });
  schema.index({ fileOwnerId: 1, at: -1 });
  // The file page: the last events of one file.
  schema.index({ fileId: 1, at: -1 });
  schema.index({ at: 1 }, { expireAfterSeconds: ttlDays * DAY_SECONDS });
  return schema;
}

/** Registers the model on one connection (never the global mongoose.model). */
export function defineActivityDocModel(
  connection: Connection,
  ttlDays: number,
  timeoutMs?: number,
): ActivityDocModel {
  return connection.model<ActivityDoc>('Activity', buildActivitySchema(ttlDays, timeoutMs));
}
