import Router from '@koa/router';
import { createDownloadsController } from '../files/downloads-controller';
import { createApiSharesController, createSharesController } from './controller';
import type { AppDeps } from '../../deps';
import { requireApiUser } from '../../http/api-auth';
import { requireUser } from '../../http/require-user';

/** Downloads (/files/:id/download, /files/:id/view, /api/files/:id/download) and share links. */
export function downloadAndShareRoutes(deps: AppDeps): Router[] {
  const content = { storage: deps.storage, metrics: deps.metrics };
  const downloads = createDownloadsController({
    ...content,
    files: deps.files,
    activity: deps.activity,
  });
  const shares = createSharesController({
    ...content,
    shares: deps.shares,
    limiter: deps.shareLimiter,
    activity: deps.activity,
  });
  const api = createApiSharesController({ shares: deps.shares, activity: deps.activity });

  const pages = new Router()
    .get('/files/:id/download', downloads.download)
    .get('/files/:id/view', downloads.view)
    .post('/files/:id/shares', requireUser(), shares.create)
    .post('/shares/:token/delete', requireUser(), shares.revoke)
    .get('/s/:token', shares.show)
    .post('/s/:token', shares.unlock)
    .get('/s/:token/download', shares.download)
    .get('/s/:token/view', shares.view);
  const apiRouter = new Router({ prefix: '/api/files' })
    .use(requireApiUser())
    .get('/:id/download', downloads.download)
    .post('/:id/shares', api.create);
  return [pages, apiRouter];
}
