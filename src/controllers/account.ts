import type { Context } from 'koa';
import { flash } from '../middleware/flash';
import { accountMessages, passwordProblem, type AccountService } from '../services/accounts';
import { attemptKey, type AttemptLimiter } from '../services/rate-limit';
import { startSession } from './auth';

const messages = {
  currentWrong: 'The current password is wrong.',
  changed: 'Your password was changed. Other sessions and API tokens were signed out.',
};

type Body = Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** The account page: who you are, and changing the password (which signs out everything else). */
export function createAccountController(deps: {
  accounts: AccountService;
  limiter: AttemptLimiter;
}) {
  return {
    show(ctx: Context) {
      ctx.render('pages/auth/account.njk', { errors: {} });
    },
    async changePassword(ctx: Context) {
      const user = ctx.state.user!;
      const body = (ctx.request.body ?? {}) as Body;
      const password = text(body.password);
      const errors: Record<string, string> = {};
      const problem = passwordProblem(password);
      if (problem) errors.password = problem;
      else if (text(body.confirm) !== password) errors.confirm = accountMessages.confirmMismatch;
      // A stolen session must not be a free password oracle: the sign-in budget applies here too.
      const key = attemptKey(ctx.ip, user.username);
      await deps.limiter.attempt(key);
      const confirmed = await deps.accounts.authenticate(user.username, text(body.current));
      if (!confirmed) errors.current = messages.currentWrong;
      if (Object.keys(errors).length) {
        ctx.status = 422;
        ctx.render('pages/auth/account.njk', { errors });
        return;
      }
      await deps.limiter.reset(key);
      const updated = await deps.accounts.changePassword(user.id, password);
      // This browser stays signed in, under a new session id carrying the new token version.
      await startSession(ctx, updated);
      flash(ctx, 'success', messages.changed);
      ctx.status = 303;
      ctx.redirect('/account');
    },
  };
}
