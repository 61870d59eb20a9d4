import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type { AppDeps } from '../deps';
import { apiAuthRoutes } from './accounts/api-routes';
import { commentsRoutes } from './comments/routes';
import { filesRoutes } from './files/routes';
import { healthRoutes } from './health/routes';
import { pageRoutes } from './accounts/routes';
import { downloadAndShareRoutes } from './shares/routes';
import { uploadRoutes } from './uploads/routes';

/** Every router of the app, in one list; a feature adds its router here. */
export function createRoutes(deps: AppDeps): Middleware {
  const routers = [
    healthRoutes(deps),
    pageRoutes(deps),
    ...apiAuthRoutes(deps),
    ...downloadAndShareRoutes(deps),
    ...commentsRoutes(deps),
    ...filesRoutes(deps),
    uploadRoutes(deps),
  ];
  const stack = routers.flatMap((router) => [
    router.routes(),
    router.allowedMethods(),
  ]) as Middleware[];
  return compose(stack);
}
