/** A comment as the rest of the app sees it. */
export interface CommentRecord {
  id: string;
  fileId: string;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
}

/** What a new comment needs; the store assigns id and createdAt. */
interface NewComment {
  fileId: string;
  authorId: string;
  authorName: string;
  body: string;
}

/** One page of a newest-first list, with the total across all pages. */
export interface PageOf<T> {
  items: T[];
  total: number;
}

/** The longest comment body, in characters after trimming. */
export const COMMENT_BODY_MAX = 2000;

/** The message a bad body gets, whichever store refuses it. */
export const COMMENT_BODY_MESSAGE = `Write between 1 and ${COMMENT_BODY_MAX} characters.`;

/** Persistence of comments (SQL or MongoDB); returns plain objects, throws ValidationError on a bad body. */
export interface CommentRepository {
  create(input: NewComment): Promise<CommentRecord>;
  /** Newest first; `page` starts at 1. */
  listByFile(fileId: string, page: number, perPage: number): Promise<PageOf<CommentRecord>>;
  findById(id: string): Promise<CommentRecord | null>;
  /** True when a comment was deleted. */
  delete(id: string): Promise<boolean>;
  /** Deletes every comment of a file; returns how many went. */
  deleteByFile(fileId: string): Promise<number>;
  /** Comment counts keyed by file id (files without comments are absent). */
  countByFiles(fileIds: string[]): Promise<Record<string, number>>;
}

/** The body as stored: trimmed; null when empty or longer than COMMENT_BODY_MAX. */
export function normalizeCommentBody(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const body = raw.trim();
  return body.length >= 1 && body.length <= COMMENT_BODY_MAX ? body : null;
}
