import Router from '@koa/router';
import type { createAccountController } from './account-controller';
import type { createAuthController } from './auth-controller';
import { requireUser } from '../../http/require-user';

/** The controllers of the account pages. */
export interface AccountPages {
  auth: ReturnType<typeof createAuthController>;
  account: ReturnType<typeof createAccountController>;
}

/** Registration, sign-in and account pages (CSRF is enforced for every page POST in app.ts). */
export function accountRoutes({ auth, account }: AccountPages): Router {
  return new Router()
    .get('/register', auth.showRegister)
    .post('/register', auth.register)
    .get('/login', auth.showLogin)
    .post('/login', auth.login)
    .post('/logout', auth.logout)
    .get('/account', requireUser(), account.show)
    .post('/account/password', requireUser(), account.changePassword);
}
