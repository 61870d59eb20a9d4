import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../../lib/ids';
import { COMMENT_BODY_MAX, COMMENT_BODY_MESSAGE } from '../../features/comments/repository';

/** A document of the `comments` collection. */
export interface CommentDoc {
  _id: string;
  fileId: string;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: Date;
  editedAt?: Date | null;
}

export type CommentDocModel = Model<CommentDoc>;

/** Mongoose would store a number or boolean body as its text: only strings are bodies (as in the SQL store). */
function onlyStrings(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('not a string');
  return value;
}

/** The schema: the body is trimmed, then must be 1-2000 characters (the SQL store applies the same rule). */
function buildCommentSchema(bufferTimeoutMS = 5000): Schema<CommentDoc> {
  const schema = new Schema<CommentDoc>(
    {
      // Our own random URL-safe ids, the same shape as the SQL store's, so URLs never depend on the store.
      _id: { type: String, default: newId },
      fileId: { type: String, required: true },
      authorId: { type: String, required: true },
      authorName: { type: String, required: true, maxlength: 64 },
      body: {
        type: String,
        cast: [onlyStrings, COMMENT_BODY_MESSAGE],
        trim: true,
        required: [true, COMMENT_BODY_MESSAGE],
        minlength: [1, COMMENT_BODY_MESSAGE],
        maxlength: [COMMENT_BODY_MAX, COMMENT_BODY_MESSAGE],
      },
      createdAt: { type: Date, required: true, default: Date.now },
      editedAt: { type: Date, default: null },
    },
    // While MongoDB is away, an operation waits this long (DEPENDENCY_TIMEOUT) for it, then fails (a 503).
    // Indexes are created by ensureIndexes once connected, where a refusal is seen and handled.
    {
      collection: 'comments',
      versionKey: false,
      strict: 'throw',
      bufferTimeoutMS,
      autoIndex: false,
    },
  );
  // The file page: one file's comments, newest first, paginated.
  schema.index({ fileId: 1, createdAt: -1 });
  return schema;
}

/** Registers the model on one connection (never the global mongoose.model). */
export function defineCommentDocModel(connection: Connection, timeoutMs?: number): CommentDocModel {
  return connection.model<CommentDoc>('Comment', buildCommentSchema(timeoutMs));
}
