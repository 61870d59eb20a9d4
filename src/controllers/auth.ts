import type { Context } from 'koa';
import { ValidationError } from '../errors';
import { tryAgainIn } from '../lib/retry-wording';
import { safeNext } from '../lib/safe-next';
import { flash } from '../middleware/flash';
import { renewSession } from '../middleware/session';
import type { User } from '../repositories/users';
import type { AccountService } from '../services/accounts';
import type { ActivityRecorder } from '../services/activity';
import { attemptKey, type AttemptLimiter } from '../services/rate-limit';
import { attemptOrWait } from './rate-limited';

const messages = {
  badCredentials: 'The username or password is wrong.',
  tooManyAttempts: (seconds: number) =>
    `Too many attempts to sign in as this user from your address. ${tryAgainIn(seconds)}`,
  signedIn: (name: string) => `Signed in as ${name}.`,
  registered: (name: string) => `Welcome to Depot, ${name}! Your account is ready.`,
  signedOut: 'You have signed out.',
};

type Body = Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * Starts an authenticated session under a new id: the old id is destroyed (a planted or copied cookie is
 * worthless) and the CSRF token is replaced; pending flash messages survive.
 */
export async function startSession(ctx: Context, user: User): Promise<void> {
  await renewSession(ctx, {
    flash: ctx.session?.flash,
    userId: user.id,
    tokenVersion: user.tokenVersion,
  });
  ctx.state.user = user;
  ctx.state.authMethod = 'session';
}

/** The activity event of a request by `user`. */
export function requestEvent(ctx: Context, user: User) {
  return {
    userId: user.id,
    userName: user.username,
    ip: ctx.ip,
    userAgent: ctx.get('User-Agent').slice(0, 512),
  };
}

/** The sign-in form again, with `status`, the username typed and one message above the form. */
function showLoginError(
  ctx: Context,
  status: number,
  message: string,
  kept: { username: string; next: string },
): void {
  ctx.status = status;
  ctx.render('pages/auth/login.njk', {
    values: { username: kept.username },
    errors: { form: message },
    next: kept.next,
  });
}

/** Registration, sign-in and sign-out pages. */
export function createAuthController(deps: {
  accounts: AccountService;
  limiter: AttemptLimiter;
  activity: ActivityRecorder;
}) {
  return {
    showRegister(ctx: Context) {
      ctx.render('pages/auth/register.njk', { values: {}, errors: {} });
    },
    async register(ctx: Context) {
      const body = (ctx.request.body ?? {}) as Body;
      const values = { username: text(body.username) };
      try {
        const user = await deps.accounts.register({
          username: values.username,
          password: text(body.password),
          confirm: text(body.confirm),
        });
        await startSession(ctx, user);
        flash(ctx, 'success', messages.registered(user.username));
        ctx.status = 303;
        ctx.redirect('/files');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        ctx.status = 422;
        ctx.render('pages/auth/register.njk', { values, errors: err.details });
      }
    },
    showLogin(ctx: Context) {
      ctx.render('pages/auth/login.njk', {
        values: {},
        errors: {},
        next: safeNext(ctx.query.next),
      });
    },
    async login(ctx: Context) {
      const body = (ctx.request.body ?? {}) as Body;
      const username = text(body.username);
      const next = safeNext(body.next);
      const key = attemptKey(ctx.ip, username);
      // Spent before the password is checked, so parallel guesses are counted too (429 + Retry-After).
      const wait = await attemptOrWait(deps.limiter, key);
      // Refused: the form stays, with the name typed and when to try again (the password is not checked).
      if (wait !== null) {
        ctx.set('Retry-After', String(wait));
        return showLoginError(ctx, 429, messages.tooManyAttempts(wait), { username, next });
      }
      const user = await deps.accounts.authenticate(username, text(body.password));
      if (!user) return showLoginError(ctx, 401, messages.badCredentials, { username, next });
      await deps.limiter.reset(key);
      await startSession(ctx, user);
      deps.activity.record({ type: 'signin', ...requestEvent(ctx, user) });
      flash(ctx, 'success', messages.signedIn(user.username));
      ctx.status = 303;
      ctx.redirect(next);
    },
    async logout(ctx: Context) {
      // The server-side session is destroyed; the browser gets a fresh, empty one for the flash message.
      await renewSession(ctx);
      ctx.state.user = null;
      flash(ctx, 'info', messages.signedOut);
      ctx.status = 303;
      ctx.redirect('/');
    },
  };
}
