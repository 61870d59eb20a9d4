import type { Middleware } from 'koa';
import type { AccountService } from '../features/accounts/service';
import { renewSession } from './session';

/**
 * Loads the session's user. A session from before a password change or revocation (older token version),
 * or of a deleted user, is emptied and moved to a new id; its CSRF token is kept so an open form still posts.
 */
export function sessionUser(accounts: AccountService): Middleware {
  return async function sessionUser(ctx, next) {
    const userId = ctx.session?.userId;
    if (typeof userId === 'string') {
      const user = await accounts.findById(userId);
      if (user && user.tokenVersion === ctx.session?.tokenVersion) {
        ctx.state.user = user;
        ctx.state.authMethod = 'session';
      } else {
        await renewSession(ctx, { csrf: ctx.session?.csrf });
      }
    }
    await next();
  };
}
