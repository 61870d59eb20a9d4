import Router from '@koa/router';
import { createActivityController } from '../activity/controller';
import { createApiCommentsController, createCommentPagesController } from './controller';
import type { AppDeps } from '../../deps';
import { requireApiUser } from '../../http/api-auth';
import { requireUser } from '../../http/require-user';

/** Comments (pages and API) and /activity; GET /files/:id only gains the comments and activity it shows. */
export function commentsRoutes(deps: AppDeps): Router[] {
  const pages = createCommentPagesController({
    comments: deps.comments,
    activity: deps.activity,
    files: deps.files,
  });
  const activity = createActivityController({ activity: deps.activity });
  const api = createApiCommentsController({ comments: deps.comments });

  const pageRouter = new Router()
    .get('/files/:id', pages.forFilePage)
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
