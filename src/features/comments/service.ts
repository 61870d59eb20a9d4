import { Forbidden, NotFound, ValidationError } from '../../errors';
import { isWellFormedId } from '../../lib/ids';
import {
  COMMENT_BODY_MESSAGE,
  normalizeCommentBody,
  type CommentRecord,
  type CommentRepository,
  type PageOf,
} from './repository';
import type { FileRecord } from '../files/repository';
import type { User } from '../accounts/users-repository';
import type { ActivityRecorder } from '../activity/events';
import type { FileService } from '../files/service';

/** User-visible words of the comments feature. */
export const commentMessages = {
  body: COMMENT_BODY_MESSAGE,
  added: 'Comment added.',
  deleted: 'Comment deleted.',
  notAllowed: 'Only the author of a comment or the owner of the file can delete it.',
};

/** Where a request came from, for the activity log. */
interface RequestOrigin {
  ip: string;
  userAgent: string;
}

/** A comment as the API presents it. */
interface CommentJson {
  id: string;
  file_id: string;
  body: string;
  author: { id: string; username: string };
  created_at: string;
  edited_at: string | null;
}

/** The rules of comments: who may read, write and delete them. */
export interface CommentService {
  /** Newest first; NotFound when `viewer` may not see the file. */
  list(
    fileId: string,
    viewer: User | null,
    page: number,
    perPage: number,
  ): Promise<PageOf<CommentRecord>>;
  /** Newest first, of a file the caller already found visible to its viewer (the file page). */
  listForFile(file: FileRecord, page: number, perPage: number): Promise<PageOf<CommentRecord>>;
  /** Adds a comment to a file the author can see; ValidationError names `body`. */
  add(fileId: string, author: User, body: unknown, origin: RequestOrigin): Promise<CommentRecord>;
  /** Deletes a comment (its author or the file's owner); returns what was deleted. */
  remove(commentId: string, user: User): Promise<CommentRecord>;
  /** True when `user` may delete `comment` on `file`. */
  canDelete(comment: CommentRecord, file: FileRecord, user: User | null): boolean;
  /** Comment counts keyed by file id, for the files list (absent = 0). */
  countByFiles(fileIds: string[]): Promise<Record<string, number>>;
  /** Cascade from a deleted file (registered with files.onDelete). */
  removeAllOf(file: FileRecord): Promise<void>;
  toJson(comment: CommentRecord): CommentJson;
}

/** Builds the comment service over a store (SQL or MongoDB) and the file service. */
export function createCommentService(deps: {
  store: CommentRepository;
  files: FileService;
  activity: ActivityRecorder;
}): CommentService {
  const { store, files } = deps;
  const service: CommentService = {
    async list(fileId, viewer, page, perPage) {
      return service.listForFile(await files.findVisible(fileId, viewer), page, perPage);
    },
    listForFile: (file, page, perPage) => store.listByFile(file.id, page, perPage),
    async add(fileId, author, rawBody, origin) {
      const file = await files.findVisible(fileId, author);
      const body = normalizeCommentBody(rawBody);
      if (body === null) throw new ValidationError({ body: commentMessages.body });
      const comment = await store.create({
        fileId: file.id,
        authorId: author.id,
        authorName: author.username,
        body,
      });
      deps.activity.record({
        type: 'comment',
        userId: author.id,
        fileId: file.id,
        fileOwnerId: file.ownerId,
        fileName: file.name,
        userName: author.username,
        ...origin,
      });
      return comment;
    },
    async remove(commentId, user) {
      const comment = isWellFormedId(commentId) ? await store.findById(commentId) : null;
      if (!comment) throw new NotFound();
      if (comment.authorId !== user.id) {
        // Someone else's comment on a file the user cannot see does not exist, as far as they know.
        const file = await files.findVisible(comment.fileId, user);
        if (!service.canDelete(comment, file, user))
          throw new Forbidden(commentMessages.notAllowed);
      }
      await store.delete(comment.id);
      return comment;
    },
    canDelete(comment, file, user) {
      return !!user && (user.id === comment.authorId || user.id === file.ownerId);
    },
    countByFiles: (fileIds) => store.countByFiles(fileIds),
    async removeAllOf(file) {
      await store.deleteByFile(file.id);
    },
    toJson(comment) {
      return {
        id: comment.id,
        file_id: comment.fileId,
        body: comment.body,
        author: { id: comment.authorId, username: comment.authorName },
        created_at: comment.createdAt.toISOString(),
        edited_at: comment.editedAt ? comment.editedAt.toISOString() : null,
      };
    },
  };
  return service;
}
