import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { createUploadsController } from './tus-controller';
import { requireApiUser } from '../../http/api-auth';

/** /api/uploads/ (tus 1.0.0). OPTIONS is open: it only describes the server (tus discovery, CORS preflight). */
export function uploadRoutes(uploads: ReturnType<typeof createUploadsController>): Router {
  const signedIn = requireApiUser();
  const guard: Middleware = async (ctx, next) => {
    await (ctx.method === 'OPTIONS' ? next() : signedIn(ctx, next));
  };
  return new Router({ prefix: '/api/uploads' })
    .all('/', guard, uploads.tus)
    .all('/:id', guard, uploads.tus);
}
