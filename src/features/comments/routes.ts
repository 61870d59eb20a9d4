import Router from '@koa/router';
import { createActivityController } from '../activity/controller';
import { createApiCommentsController, createCommentPagesController } from './controller';
import type { AppDeps } from '../../deps';
import { requireApiUser } from '../../http/api-auth';
import { requireUser } from '../../http/require-user';

/** Comments (pages and API) and /activity. */
export function commentsRoutes(deps: AppDeps): Router[] {
  const pages = createCommentPagesController({ comments: deps.comments, files: deps.files });
  const activity = createActivityController({ activity: deps.activity });
  const api = createApiCommentsController({ comments: deps.comments });

  const pageRouter = new Router()
    .post('/files/:id/comments', requireUser(), pages.create)
    .post('/comments/:id/delete', requireUser(), pages.remove)
    .get('/activity', requireUser(), activity.index);
  const apiRouter = new Router({ prefix: '/api' })
    .use(requireApiUser())
    .get('/files/:id/comments', api.list)
    .post('/files/:id/comments', api.create)
    .delete('/comments/:id', api.remove);
  return [pageRouter, apiRouter];
}
