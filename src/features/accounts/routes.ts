import Router from '@koa/router';
import { createAccountController } from './account-controller';
import { createAuthController } from './auth-controller';
import { createHomeController } from '../files/home-controller';
import type { AppDeps } from '../../deps';
import { requireUser } from '../../http/require-user';

/** Home and account pages (CSRF is enforced for every page POST in app.ts). */
export function pageRoutes(deps: AppDeps): Router {
  const home = createHomeController({
    recentPublicFiles: async (limit) =>
      (await deps.files.recentPublic(limit)).map((file) => ({
        id: file.id,
        name: file.name,
        size: file.size,
        type: file.type,
        createdAt: file.createdAt,
        owner: file.ownerName,
      })),
  });
  const auth = createAuthController({
    accounts: deps.accounts,
    limits: deps.signInLimits,
    registrations: deps.registrationLimiter,
    activity: deps.activity,
  });
  const account = createAccountController({ accounts: deps.accounts, limits: deps.signInLimits });
  return new Router()
    .get('/', home.home)
    .get('/register', auth.showRegister)
    .post('/register', auth.register)
    .get('/login', auth.showLogin)
    .post('/login', auth.login)
    .post('/logout', auth.logout)
    .get('/account', requireUser(), account.show)
    .post('/account/password', requireUser(), account.changePassword);
}
