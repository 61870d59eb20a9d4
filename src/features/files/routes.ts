import Router from '@koa/router';
import type { createApiFilesController } from './api-controller';
import type { createDownloadsController } from './downloads-controller';
import type { createFilePageController } from './file-page-controller';
import type { createHomeController } from './home-controller';
import type { createFilesController } from './pages-controller';
import { requireApiUser } from '../../http/api-auth';
import { requireUser } from '../../http/require-user';

/** The controllers of the files feature. */
export interface FilesControllers {
  home: ReturnType<typeof createHomeController>;
  pages: ReturnType<typeof createFilesController>;
  filePage: ReturnType<typeof createFilePageController>;
  downloads: ReturnType<typeof createDownloadsController>;
  api: ReturnType<typeof createApiFilesController>;
}

/** The home page, /files pages, downloads and /api/files. */
export function filesRoutes(c: FilesControllers): Router[] {
  const pageRouter = new Router()
    .get('/', c.home.home)
    .get('/files', requireUser(), c.pages.index)
    .post('/files', requireUser(), c.pages.upload)
    // Before /files/:id, which would read "new" as an id.
    .get('/files/new', requireUser(), c.pages.showNew)
    .get('/files/:id', c.filePage.show)
    .post('/files/:id', requireUser(), c.pages.update)
    .post('/files/:id/delete', requireUser(), c.pages.remove)
    .get('/files/:id/download', c.downloads.download)
    .get('/files/:id/view', c.downloads.view);
  const apiRouter = new Router({ prefix: '/api/files' })
    .use(requireApiUser())
    .get('/', c.api.list)
    .post('/', c.api.create)
    .get('/:id', c.api.show)
    .patch('/:id', c.api.update)
    .delete('/:id', c.api.remove)
    .get('/:id/download', c.downloads.download);
  return [pageRouter, apiRouter];
}
