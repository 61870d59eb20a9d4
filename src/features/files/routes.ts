import Router from '@koa/router';
import { createApiFilesController } from './api-controller';
import { createFilePageController } from './file-page-controller';
import { createFilesController } from './pages-controller';
import { createUploadHandler } from '../uploads/form-uploads';
import type { AppDeps } from '../../deps';
import { requireApiUser } from '../../http/api-auth';
import { createFormFileReceiver } from '../uploads/form-receiver';
import { requireUser } from '../../http/require-user';

/** /files pages and /api/files. */
export function filesRoutes(deps: AppDeps): Router[] {
  const receive = createFormFileReceiver({
    storage: deps.storage,
    files: deps.files,
    metrics: deps.metrics,
    limits: {
      maxFileBytes: deps.config.maxUploadBytes,
      maxFiles: deps.config.maxFormFiles,
      quotaBytes: deps.config.userQuotaBytes,
    },
  });
  const storeUploads = createUploadHandler({
    files: deps.files,
    activity: deps.activity,
    receive,
    storage: deps.storage,
    space: deps.uploads.space,
  });
  const filePage = createFilePageController(deps);
  const pages = createFilesController({
    files: deps.files,
    storeUploads,
    countComments: (fileIds) => deps.comments.countByFiles(fileIds),
    renderPage: filePage.render,
  });
  const api = createApiFilesController({ files: deps.files, storeUploads });

  const pageRouter = new Router()
    .get('/files', requireUser(), pages.index)
    .post('/files', requireUser(), pages.upload)
    .get('/files/new', requireUser(), pages.showNew)
    .get('/files/:id', filePage.show)
    .post('/files/:id', requireUser(), pages.update)
    .post('/files/:id/delete', requireUser(), pages.remove);
  const apiRouter = new Router({ prefix: '/api/files' })
    .use(requireApiUser())
    .get('/', api.list)
    .post('/', api.create)
    .get('/:id', api.show)
    .patch('/:id', api.update)
    .delete('/:id', api.remove);
  return [pageRouter, apiRouter];
}
