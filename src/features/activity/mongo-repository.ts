import { createMonotonicClock } from '../../lib/clock';
import type { ActivityDoc, ActivityDocModel } from '../../models/mongo/activity';
import { USER_AGENT_MAX, type ActivityRecord, type ActivityRepository } from './repository';
import { rethrowValidation } from '../../models/mongo/errors';

function toRecord(doc: ActivityDoc): ActivityRecord {
  return {
    id: doc._id,
    type: doc.type,
    userId: doc.userId ?? null,
    userName: doc.userName ?? null,
    fileId: doc.fileId ?? null,
    fileOwnerId: doc.fileOwnerId ?? null,
    fileName: doc.fileName ?? null,
    ip: doc.ip,
    userAgent: doc.userAgent,
    at: doc.at,
  };
}

/** Activity events in MongoDB (when MONGODB_URI is set); the TTL index or prune() expires old ones. */
export function createMongoActivityRepository(Activity: ActivityDocModel): ActivityRepository {
  const clock = createMonotonicClock();
  return {
    async record(event) {
      const doc = new Activity({
        ...event,
        userAgent: event.userAgent.slice(0, USER_AGENT_MAX),
        at: clock(),
      });
      await doc.save().catch(rethrowValidation);
      return toRecord(doc.toObject());
    },
    async listForUser(userId, page, perPage) {
      const filter = { $or: [{ userId }, { fileOwnerId: userId }] };
      const [docs, total] = await Promise.all([
        Activity.find(filter)
          .sort({ at: -1 })
          .skip((page - 1) * perPage)
          .limit(perPage)
          .lean<ActivityDoc[]>(),
        Activity.countDocuments(filter),
      ]);
      return { items: docs.map(toRecord), total };
    },
    async listForFile(fileId, limit) {
      const docs = await Activity.find({ fileId })
        .sort({ at: -1 })
        .limit(limit)
        .lean<ActivityDoc[]>();
      return docs.map(toRecord);
    },
    // Called only where the server refused the TTL index (FerretDB); MongoDB deletes expired events itself.
    async prune(before) {
      return (await Activity.deleteMany({ at: { $lt: before } })).deletedCount;
    },
  };
}
