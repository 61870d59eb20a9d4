import { createMonotonicClock } from '../../lib/clock';
import type { CommentDoc, CommentDocModel } from '../../models/mongo/comment';
import type { CommentRecord, CommentRepository } from './repository';
import { rethrowValidation } from '../../models/mongo/errors';

function toRecord(doc: CommentDoc): CommentRecord {
  return {
    id: doc._id,
    fileId: doc.fileId,
    authorId: doc.authorId,
    authorName: doc.authorName,
    body: doc.body,
    createdAt: doc.createdAt,
    editedAt: doc.editedAt ?? null,
  };
}

/** Comments in MongoDB (when MONGODB_URI is set); the schema validates the body. */
export function createMongoCommentRepository(Comment: CommentDocModel): CommentRepository {
  const clock = createMonotonicClock();
  return {
    async create(input) {
      const doc = new Comment({ ...input, createdAt: clock() });
      await doc.save().catch(rethrowValidation);
      return toRecord(doc.toObject());
    },
    async listByFile(fileId, page, perPage) {
      const [docs, total] = await Promise.all([
        Comment.find({ fileId })
          .sort({ createdAt: -1 })
          .skip((page - 1) * perPage)
          .limit(perPage)
          .lean<CommentDoc[]>(),
        Comment.countDocuments({ fileId }),
      ]);
      return { items: docs.map(toRecord), total };
    },
    async findById(id) {
      const doc = await Comment.findById(id).lean<CommentDoc>();
      return doc ? toRecord(doc) : null;
    },
    async delete(id) {
      return (await Comment.deleteOne({ _id: id })).deletedCount > 0;
    },
    async deleteByFile(fileId) {
      return (await Comment.deleteMany({ fileId })).deletedCount;
    },
    async countByFiles(fileIds) {
      if (!fileIds.length) return {};
      const rows = await Comment.aggregate<{ _id: string; count: number }>([
        { $match: { fileId: { $in: fileIds } } },
        { $group: { _id: '$fileId', count: { $sum: 1 } } },
      ]);
      return Object.fromEntries(rows.map((row) => [row._id, row.count]));
    },
  };
}
