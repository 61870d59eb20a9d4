import type { Middleware } from 'koa';
import type { AccountService } from '../services/accounts';

/** Loads the session's user; a session from before a password change (older token version) is dropped. */
export function sessionUser(accounts: AccountService): Middleware {
  return async function sessionUser(ctx, next) {
    const userId = ctx.session?.userId;
    if (typeof userId === 'string') {
      const user = await accounts.findById(userId);
      if (user && user.tokenVersion === ctx.session?.tokenVersion) {
        ctx.state.user = user;
        ctx.state.authMethod = 'session';
      } else {
        ctx.session = null;
      }
    }
    await next();
  };
}
