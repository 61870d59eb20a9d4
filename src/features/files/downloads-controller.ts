import type { RouterContext } from '@koa/router';
import type { ActivityRecorder } from '../activity/events';
import type { FileService } from './service';
import { sendFileDownload, sendFileView, type FileContentDeps } from './content';

/** /files/:id/download, /api/files/:id/download and /files/:id/view (visibility as GET /files/:id). */
export function createDownloadsController(
  deps: FileContentDeps & { files: FileService; activity: ActivityRecorder },
) {
  return {
    download: async (ctx: RouterContext) => {
      const file = await deps.files.findVisible(ctx.params.id, ctx.state.user);
      await sendFileDownload(ctx, deps, file, async ({ fromByteZero }) => {
        // A resumed Range request continues a download that was already counted.
        if (!fromByteZero) return;
        await deps.files.incrementDownloadCount(file.id);
        deps.activity.record({
          type: 'download',
          userId: ctx.state.user?.id ?? null,
          fileId: file.id,
          // Known here: the recorder need not look the file and the user up again.
          fileOwnerId: file.ownerId,
          fileName: file.name,
          userName: ctx.state.user?.username ?? null,
          ip: ctx.ip,
          userAgent: ctx.get('User-Agent'),
        });
      });
    },
    view: async (ctx: RouterContext) => {
      const file = await deps.files.findVisible(ctx.params.id, ctx.state.user);
      await sendFileView(ctx, deps, file);
    },
  };
}
