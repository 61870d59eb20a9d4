import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import { decodeTextHead, previewKind } from '../../lib/preview';
import type { User } from '../accounts/users-repository';
import { activityMessages } from '../activity/controller';
import type { ActivityService } from '../activity/service';
import { fileCommentsView, PAGE_COMMENTS, readCommentsRequest } from '../comments/controller';
import type { CommentService } from '../comments/service';
import type { ShareService } from '../shares/service';
import type { FileRecord } from './repository';
import type { FileService } from './service';

/** Bytes of a text file shown on its page. */
const TEXT_PREVIEW_BYTES = 64 * 1024;

/** What the file page reads besides the file: each feature answers for its own section. */
export interface FilePageDeps {
  files: Pick<FileService, 'findVisible' | 'readHead'>;
  shares: Pick<ShareService, 'listForFile'>;
  comments: Pick<CommentService, 'listForFile' | 'canDelete'>;
  activity: Pick<ActivityService, 'listForFile'>;
}

/** Renders the page of a file the viewer may see; `errors` name the fields of a refused change. */
export type FilePageRenderer = (
  ctx: Context,
  file: FileRecord,
  errors?: Record<string, string>,
) => Promise<void>;

/** A section whose store is down is left out (and logged); the page itself still answers. */
const unavailable = (ctx: Context, what: string) => (err: Error) => {
  ctx.state.log.warn({ err: { message: err.message } }, `${what} unavailable`);
  return null;
};

/** GET /files/:id: the file is looked up once, then its preview, shares, comments and activity are read at once. */
export function createFilePageController(deps: FilePageDeps) {
  async function textPreview(file: FileRecord) {
    if (previewKind(file.type) !== 'text') return { text: null, truncated: false };
    const truncated = file.size > TEXT_PREVIEW_BYTES;
    const head = await deps.files.readHead(file, TEXT_PREVIEW_BYTES);
    return { text: decodeTextHead(head, truncated), truncated };
  }

  const render: FilePageRenderer = async (ctx, file, errors = {}) => {
    const user: User | null = ctx.state.user ?? null;
    // Share links and activity are the owner's; comments are everyone's who may see the file.
    const isOwner = user?.id === file.ownerId;
    const request = readCommentsRequest(ctx, file.id);
    const [preview, shares, comments, activity] = await Promise.all([
      textPreview(file),
      isOwner ? deps.shares.listForFile(file.id) : null,
      deps.comments
        .listForFile(file, request.page, PAGE_COMMENTS)
        .catch(unavailable(ctx, 'comments')),
      deps.activity.listForFile(file, user).catch(unavailable(ctx, 'activity')),
    ]);
    ctx.render('pages/files/show.njk', {
      file,
      preview: previewKind(file.type),
      ...preview,
      isOwner,
      errors,
      fileShares: shares,
      shareOrigin: ctx.state.siteOrigin,
      fileComments: fileCommentsView(deps.comments, file, user, request, comments),
      fileActivity: activity,
      activityVerbs: activityMessages,
    });
  };

  return {
    render,
    show: async (ctx: RouterContext) => {
      await render(ctx, await deps.files.findVisible(ctx.params.id, ctx.state.user));
    },
  };
}
