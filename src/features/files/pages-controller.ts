import type { RouterContext } from '@koa/router';
import { AppError, ValidationError } from '../../errors';
import { flash } from '../../http/flash';
import type { FilePageRenderer } from './file-page-controller';
import type { FileService } from './service';
import { parseFileQuery } from './query';
import type { UploadHandler } from '../uploads/form-uploads';

const PER_PAGE = 25;

const messages = {
  stored: (names: string[]) =>
    names.length === 1
      ? `Uploaded ${names[0]}.`
      : `Uploaded ${names.length} files: ${names.join(', ')}.`,
  renamed: (name: string) => `Renamed to ${name}.`,
  visibility: (visibility: string) =>
    visibility === 'public'
      ? 'The file is now public: anyone with its link can see it.'
      : 'The file is now private.',
  deleted: (name: string) => `Deleted ${name}.`,
};

/** Counts comments per file id when the comments feature is wired. */
export type CommentCounter = (fileIds: string[]) => Promise<Record<string, number>>;

type Body = Record<string, unknown>;

/** The files pages: list, upload form, rename / visibility, delete (the file page itself: file-page-controller). */
export function createFilesController(deps: {
  files: FileService;
  storeUploads: UploadHandler;
  countComments: CommentCounter | null;
  /** The file page, shown again with the fields of a refused change. */
  renderPage: FilePageRenderer;
}) {
  const { files } = deps;

  return {
    index: async (ctx: RouterContext) => {
      const user = ctx.state.user!;
      const { query } = parseFileQuery(ctx.query, { perPage: PER_PAGE, maxPerPage: 100 });
      const list = await files.list(user, query);
      // Without a search the listing's byte total is the storage used: one query fewer on the busiest page.
      const usage = query.q ? await files.usage(user) : { used: list.bytes, quota: files.quota };
      const counts = deps.countComments
        ? await deps.countComments(list.items.map((file) => file.id))
        : null;
      const items = list.items.map((file) =>
        counts ? { ...file, commentCount: counts[file.id] ?? 0 } : file,
      );
      ctx.render('pages/files/index.njk', {
        files: items,
        total: list.total,
        query,
        pages: Math.max(1, Math.ceil(list.total / query.perPage)),
        usage: { used: usage.used, quota: Number.isFinite(usage.quota) ? usage.quota : null },
        showComments: counts !== null,
      });
    },
    showNew: (ctx: RouterContext) => {
      ctx.render('pages/files/new.njk', { errors: {} });
    },
    upload: async (ctx: RouterContext) => {
      try {
        const stored = await deps.storeUploads(ctx, 'files');
        flash(ctx, 'success', messages.stored(stored.map((file) => file.name)));
        ctx.status = 303;
        ctx.redirect('/files');
      } catch (err) {
        // Too large and unexpected failures get their error page; a form problem shows the form again.
        if (!(err instanceof AppError) || err.status === 413 || err.status >= 500) throw err;
        ctx.status = err.status;
        ctx.render('pages/files/new.njk', {
          errors: { files: err.details?.files ?? err.message },
        });
      }
    },
    update: async (ctx: RouterContext) => {
      const user = ctx.state.user!;
      const body = (ctx.request.body ?? {}) as Body;
      const changes = { name: body.name, visibility: body.visibility };
      try {
        const before = await files.findOwned(ctx.params.id, user);
        const file = await files.update(before.id, user, changes);
        if (changes.name !== undefined && file.name !== before.name)
          flash(ctx, 'success', messages.renamed(file.name));
        if (changes.visibility !== undefined && file.visibility !== before.visibility)
          flash(ctx, 'success', messages.visibility(file.visibility));
        ctx.status = 303;
        ctx.redirect(`/files/${file.id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        ctx.status = 422;
        await deps.renderPage(ctx, await files.findOwned(ctx.params.id, user), err.details);
      }
    },
    remove: async (ctx: RouterContext) => {
      const user = ctx.state.user!;
      const file = await files.findOwned(ctx.params.id, user);
      await files.remove(file.id, user);
      flash(ctx, 'success', messages.deleted(file.name));
      ctx.status = 303;
      ctx.redirect('/files');
    },
  };
}
