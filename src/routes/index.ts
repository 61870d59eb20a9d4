import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type { AppDeps } from '../deps';
import { apiAuthRoutes } from './api';
import { healthRoutes } from './health';
import { pageRoutes } from './pages';

/** Every router of the app, in one list; a feature adds its router here. */
export function createRoutes(deps: AppDeps): Middleware {
  const routers = [healthRoutes(deps), pageRoutes(deps), ...apiAuthRoutes(deps)];
  const stack = routers.flatMap((router) => [
    router.routes(),
    router.allowedMethods(),
  ]) as Middleware[];
  return compose(stack);
}
