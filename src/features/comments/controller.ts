import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import { ValidationError } from '../../errors';
import { flash } from '../../http/flash';
import type { User } from '../accounts/users-repository';
import type { FileRecord } from '../files/repository';
import type { CommentRecord, PageOf } from './repository';
import { commentMessages, type CommentService } from './service';
import type { FileService } from '../files/service';
import { pageCount, readPositiveInt } from '../../lib/paging';

/** Comments per page on the file page. */
export const PAGE_COMMENTS = 10;
const MAX_PAGE = 1_000_000;

interface Draft {
  fileId: string;
  body: string;
  error: string;
}

const origin = (ctx: RouterContext) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') });

/** Which page of comments the file page shows, and the draft a refused comment left for this file. */
export interface CommentsRequest {
  page: number;
  draft: Draft | null;
}

/** Reads the file page's comment page number and takes the comment draft out of the session. */
export function readCommentsRequest(ctx: Context, fileId: string): CommentsRequest {
  const page = readPositiveInt(ctx.query.comments_page, 1, MAX_PAGE) ?? 1;
  const draft = ctx.session?.commentDraft as Draft | undefined;
  if (draft) delete ctx.session!.commentDraft;
  return { page, draft: draft?.fileId === fileId ? draft : null };
}

/** What partials/file-comments.njk shows: one page of comments, each saying whether `user` may delete it. */
export function fileCommentsView(
  comments: Pick<CommentService, 'canDelete'>,
  file: FileRecord,
  user: User | null,
  request: CommentsRequest,
  list: PageOf<CommentRecord> | null,
) {
  const { page, draft } = request;
  if (!list) return { unavailable: true, draft };
  return {
    items: list.items.map((c) => ({ ...c, canDelete: comments.canDelete(c, file, user) })),
    total: list.total,
    page,
    pages: pageCount(list.total, PAGE_COMMENTS),
    draft,
  };
}

/** The comment form posts of the file page. */
export function createCommentPagesController(deps: {
  comments: CommentService;
  files: FileService;
}) {
  const { comments, files } = deps;

  return {
    create: async (ctx: RouterContext) => {
      const body = (ctx.request.body as Record<string, unknown> | undefined)?.body;
      const file = await files.findVisible(ctx.params.id, ctx.state.user);
      try {
        await comments.add(file.id, ctx.state.user!, body, origin(ctx));
        flash(ctx, 'success', commentMessages.added);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        // Post/redirect/get: the page shows the form again with the message and what was typed.
        ctx.session!.commentDraft = {
          fileId: file.id,
          body: typeof body === 'string' ? body.slice(0, 10_000) : '',
          error: err.details?.body ?? commentMessages.body,
        };
        flash(ctx, 'error', err.details?.body ?? commentMessages.body);
      }
      ctx.status = 303;
      ctx.redirect(`/files/${file.id}#comments`);
    },
    remove: async (ctx: RouterContext) => {
      const comment = await comments.remove(ctx.params.id, ctx.state.user!);
      flash(ctx, 'success', commentMessages.deleted);
      ctx.status = 303;
      ctx.redirect(`/files/${comment.fileId}#comments`);
    },
  };
}

/** GET/POST /api/files/:id/comments and DELETE /api/comments/:id. */
export function createApiCommentsController(deps: { comments: CommentService }) {
  const { comments } = deps;
  return {
    list: async (ctx: RouterContext) => {
      const page = readPositiveInt(ctx.query.page, 1, MAX_PAGE);
      const perPage = readPositiveInt(ctx.query.per_page, 20, 100);
      const invalid: Record<string, string> = {};
      if (page === null) invalid.page = 'Use a whole number from 1.';
      if (perPage === null) invalid.per_page = 'Use a whole number from 1 to 100.';
      if (page === null || perPage === null) throw new ValidationError(invalid);
      const list = await comments.list(ctx.params.id, ctx.state.user, page, perPage);
      ctx.body = {
        items: list.items.map((comment) => comments.toJson(comment)),
        page,
        per_page: perPage,
        total: list.total,
      };
    },
    create: async (ctx: RouterContext) => {
      const body = (ctx.request.body as Record<string, unknown> | undefined)?.body;
      const comment = await comments.add(ctx.params.id, ctx.state.user!, body, origin(ctx));
      ctx.status = 201;
      ctx.set('Location', `/api/files/${comment.fileId}/comments`);
      ctx.body = comments.toJson(comment);
    },
    remove: async (ctx: RouterContext) => {
      await comments.remove(ctx.params.id, ctx.state.user!);
      ctx.status = 204;
    },
  };
}
