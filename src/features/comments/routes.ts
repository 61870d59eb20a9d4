import Router from '@koa/router';
import type { createActivityController } from '../activity/controller';
import type { createApiCommentsController, createCommentPagesController } from './controller';
import { requireApiUser } from '../../http/api-auth';
import { requireUser } from '../../http/require-user';

/** The controllers of comments and the activity log. */
export interface CommentsControllers {
  pages: ReturnType<typeof createCommentPagesController>;
  activity: ReturnType<typeof createActivityController>;
  api: ReturnType<typeof createApiCommentsController>;
}

/** Comments (pages and API) and /activity. */
export function commentsRoutes({ pages, activity, api }: CommentsControllers): Router[] {
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
