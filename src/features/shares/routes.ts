import Router from '@koa/router';
import type { createApiSharesController, createSharesController } from './controller';
import { requireApiUser } from '../../http/api-auth';
import { requireUser } from '../../http/require-user';

/** The controllers of share links. */
export interface SharesControllers {
  pages: ReturnType<typeof createSharesController>;
  api: ReturnType<typeof createApiSharesController>;
}

/** Share links: created and revoked by the owner, opened and downloaded by anyone holding one. */
export function sharesRoutes({ pages, api }: SharesControllers): Router[] {
  const pageRouter = new Router()
    .post('/files/:id/shares', requireUser(), pages.create)
    .post('/shares/:token/delete', requireUser(), pages.revoke)
    .get('/s/:token', pages.show)
    .post('/s/:token', pages.unlock)
    .get('/s/:token/download', pages.download)
    .get('/s/:token/view', pages.view);
  const apiRouter = new Router({ prefix: '/api/files' })
    .use(requireApiUser())
    .post('/:id/shares', api.create);
  return [pageRouter, apiRouter];
}
