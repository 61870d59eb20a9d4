import Router from '@koa/router';
import { createApiAuthController } from './api-controller';
import type { AppDeps } from '../../deps';
import { requireApiUser } from '../../http/api-auth';

/** /api/auth/* (open) and /api/me; the caller is identified in app.ts, guests refused per router. */
export function apiAuthRoutes(deps: AppDeps): Router[] {
  const api = createApiAuthController({
    accounts: deps.accounts,
    tokens: deps.tokens,
    limits: deps.signInLimits,
    wechat: deps.wechat,
    activity: deps.activity,
  });
  const open = new Router({ prefix: '/api' }).post('/auth/token', api.token);
  // Without WECHAT_APPID the route does not exist at all (404, not 405 or 501).
  if (deps.wechat) open.post('/auth/wechat', api.wechat);
  const signedIn = new Router({ prefix: '/api' })
    .use(requireApiUser())
    .post('/auth/revoke', api.revoke)
    .get('/me', api.me);
  return [open, signedIn];
}
