import { ValidationError } from '../../errors';
import { createMonotonicClock } from '../../lib/clock';
import { newId } from '../../lib/ids';
import { COMMENT_TABLE, type CommentModel, type CommentRow } from '../../models/sql/comment';
import { selectRows } from '../../models/sql/raw-select';
import { rethrowSqlValidation } from '../../models/sql/errors';
import {
  COMMENT_BODY_MESSAGE,
  normalizeCommentBody,
  type CommentRecord,
  type CommentRepository,
} from './repository';

function toRecord(row: CommentRow): CommentRecord {
  return {
    id: row.id,
    fileId: row.fileId,
    authorId: row.authorId,
    authorName: row.authorName,
    body: row.body,
    createdAt: new Date(row.createdAt),
    editedAt: row.editedAt ? new Date(row.editedAt) : null,
  };
}

const c = COMMENT_TABLE.quoted;
// The comment counts of a listing page: one constant GROUP BY (the id list expands from its replacement).
const COUNT_BY_FILES =
  `SELECT ${c.fileId} AS \`fileId\`, COUNT(${c.id}) AS \`count\` FROM ${COMMENT_TABLE.quotedName}` +
  ` WHERE ${c.fileId} IN (?) GROUP BY ${c.fileId}`;

/** Comments in the SQL database (used when MONGODB_URI is not set). */
export function createSqlCommentRepository(Comment: CommentModel): CommentRepository {
  const clock = createMonotonicClock();
  return {
    async create(input) {
      const body = normalizeCommentBody(input.body);
      if (body === null) throw new ValidationError({ body: COMMENT_BODY_MESSAGE });
      const row = await Comment.create({
        ...input,
        id: newId(),
        body,
        createdAt: clock(),
        editedAt: null,
      }).catch((err: unknown) => rethrowSqlValidation(err, { body: COMMENT_BODY_MESSAGE }));
      return toRecord(row);
    },
    async listByFile(fileId, page, perPage) {
      const { rows, count } = await Comment.findAndCountAll({
        where: { fileId },
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit: perPage,
        offset: (page - 1) * perPage,
      });
      return { items: rows.map(toRecord), total: count };
    },
    async findById(id) {
      const row = await Comment.findByPk(id);
      return row ? toRecord(row) : null;
    },
    async delete(id) {
      return (await Comment.destroy({ where: { id } })) > 0;
    },
    deleteByFile: (fileId) => Comment.destroy({ where: { fileId } }),
    async countByFiles(fileIds) {
      if (!fileIds.length) return {};
      const rows = await selectRows<{ fileId: string; count: number | string }>(
        Comment.sequelize!,
        COUNT_BY_FILES,
        [fileIds],
      );
      return Object.fromEntries(rows.map((row) => [row.fileId, Number(row.count)]));
    },
  };
}
