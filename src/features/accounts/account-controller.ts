import type { Context } from 'koa';
import { text } from '../../lib/form-values';
import { flash } from '../../http/flash';
import { accountMessages, passwordProblem, type AccountService } from './service';
import { spendSignInAttempt, type SignInLimits } from './rate-limit';
import { checkSignIn, refusalMessage, startSession } from './auth-controller';
import { TooManyRequests } from '../../errors';

const messages = {
  currentWrong: 'The current password is wrong.',
  changed: 'Your password was changed. Other sessions and API tokens were signed out.',
};

type Body = Record<string, unknown>;

/** The account page: who you are, and changing the password (which signs out everything else). */
export function createAccountController(deps: { accounts: AccountService; limits: SignInLimits }) {
  return {
    show: (ctx: Context) => {
      ctx.render('pages/auth/account.njk', { errors: {} });
    },
    changePassword: async (ctx: Context) => {
      const user = ctx.state.user!;
      const body = (ctx.request.body ?? {}) as Body;
      const password = text(body.password);
      const errors: Record<string, string> = {};
      const problem = passwordProblem(password);
      if (problem) errors.password = problem;
      else if (text(body.confirm) !== password) errors.confirm = accountMessages.confirmMismatch;
      // A stolen session must not be a free password oracle: the sign-in budget applies here too.
      const refusal = await spendSignInAttempt(deps.limits, ctx.ip, user.username);
      // The per-name refusal keeps its short wording; the address one says whose budget ran out.
      if (refusal)
        throw new TooManyRequests(
          refusal.retryAfter,
          refusal.scope === 'name' ? undefined : refusalMessage(refusal),
        );
      const confirmed = await checkSignIn(ctx, deps, user.username, text(body.current));
      if (!confirmed) errors.current = messages.currentWrong;
      if (Object.keys(errors).length) {
        ctx.status = 422;
        ctx.render('pages/auth/account.njk', { errors });
        return;
      }
      const updated = await deps.accounts.changePassword(user.id, password);
      // This browser stays signed in, under a new session id carrying the new token version.
      await startSession(ctx, updated);
      flash(ctx, 'success', messages.changed);
      ctx.status = 303;
      ctx.redirect('/account');
    },
  };
}
