import Router from '@koa/router';
import { createApiAuthController } from '../controllers/api-auth';
import type { AppDeps } from '../deps';
import { requireApiUser } from '../middleware/api-auth';

/** /api/auth/* (open) and /api/me; the caller is identified in app.ts, guests refused per router. */
export function apiAuthRoutes(deps: AppDeps): Router[] {
  const api = createApiAuthController({
    accounts: deps.accounts,
    tokens: deps.tokens,
    limiter: deps.loginLimiter,
    wechat: deps.wechat,
  });
  const open = new Router({ prefix: '/api' })
    .post('/auth/token', api.token)
    .post('/auth/wechat', api.wechat);
  const signedIn = new Router({ prefix: '/api' })
    .use(requireApiUser())
    .post('/auth/revoke', api.revoke)
    .get('/me', api.me);
  return [open, signedIn];
}
