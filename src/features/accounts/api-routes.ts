import Router from '@koa/router';
import type { createApiAuthController } from './api-controller';
import { requireApiUser } from '../../http/api-auth';

/** /api/auth/* (open) and /api/me; the caller is identified in app.ts, guests refused per router. */
export function apiAuthRoutes(
  api: ReturnType<typeof createApiAuthController>,
  options: { wechat: boolean },
): Router[] {
  const open = new Router({ prefix: '/api' }).post('/auth/token', api.token);
  // Without WECHAT_APPID the route does not exist at all (404, not 405 or 501).
  if (options.wechat) open.post('/auth/wechat', api.wechat);
  const signedIn = new Router({ prefix: '/api' })
    .use(requireApiUser())
    .post('/auth/revoke', api.revoke)
    .get('/me', api.me);
  return [open, signedIn];
}
