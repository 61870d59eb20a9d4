import type { Context } from 'koa';
import { text } from '../../lib/form-values';
import { ValidationError } from '../../errors';
import { HashingBusy } from '../../lib/password';
import { tryAgainIn } from '../../lib/retry-wording';
import { safeNext } from '../../lib/safe-next';
import { flash } from '../../http/flash';
import { renewSession } from '../../http/session';
import type { User } from './users-repository';
import type { AccountService } from './service';
import type { ActivityRecorder } from '../activity/events';
import {
  signInNotChecked,
  signInSucceeded,
  spendSignInAttempt,
  type AttemptLimiter,
  type SignInLimits,
  type SignInRefusal,
} from './rate-limit';
import { attemptOrWait } from './rate-limited';

const messages = {
  badCredentials: 'The username or password is wrong.',
  tooManyAttempts: (seconds: number) =>
    `Too many attempts to sign in as this user from your address. ${tryAgainIn(seconds)}`,
  tooManyFromAddress: (seconds: number) =>
    `Too many failed sign-ins from your address. ${tryAgainIn(seconds)}`,
  tooManyRegistrations: (seconds: number) =>
    `Too many new accounts from your address. ${tryAgainIn(seconds)}`,
  hashingBusy: (seconds: number) =>
    `Depot is busy checking other passwords. ${tryAgainIn(seconds)}`,
  signedIn: (name: string) => `Signed in as ${name}.`,
  registered: (name: string) => `Welcome to Depot, ${name}! Your account is ready.`,
  signedOut: 'You have signed out.',
};

type Body = Record<string, unknown>;

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

/** The words of a refused sign-in, by the budget that refused it. */
export function refusalMessage(refusal: SignInRefusal): string {
  return refusal.scope === 'name'
    ? messages.tooManyAttempts(refusal.retryAfter)
    : messages.tooManyFromAddress(refusal.retryAfter);
}

/**
 * Checks the password within the sign-in budgets: the user, null for a wrong password, or a 503
 * (hashing busy) whose attempts are given back, since no password was checked.
 */
export async function checkSignIn(
  ctx: Context,
  deps: { accounts: AccountService; limits: SignInLimits },
  username: string,
  password: string,
): Promise<User | null> {
  let user: User | null;
  try {
    user = await deps.accounts.authenticate(username, password);
  } catch (err) {
    if (err instanceof HashingBusy) await signInNotChecked(deps.limits, ctx.ip, username);
    throw err;
  }
  if (user) await signInSucceeded(deps.limits, ctx.ip, username);
  return user;
}

/** Registration, sign-in and sign-out pages. */
export function createAuthController(deps: {
  accounts: AccountService;
  limits: SignInLimits;
  /** Registrations per address (the "username is taken" answer is an oracle: keep it slow). */
  registrations: AttemptLimiter;
  activity: ActivityRecorder;
}) {
  return {
    showRegister: (ctx: Context) => {
      ctx.render('pages/auth/register.njk', { values: {}, errors: {} });
    },
    register: async (ctx: Context) => {
      const body = (ctx.request.body ?? {}) as Body;
      const values = { username: text(body.username) };
      const wait = await attemptOrWait(deps.registrations, ctx.ip);
      if (wait !== null) {
        ctx.set('Retry-After', String(wait));
        ctx.status = 429;
        const errors = { form: messages.tooManyRegistrations(wait) };
        return ctx.render('pages/auth/register.njk', { values, errors });
      }
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
    showLogin: (ctx: Context) => {
      ctx.render('pages/auth/login.njk', {
        values: {},
        errors: {},
        next: safeNext(ctx.query.next),
      });
    },
    login: async (ctx: Context) => {
      const body = (ctx.request.body ?? {}) as Body;
      const username = text(body.username);
      const next = safeNext(body.next);
      // Spent before the password is checked, so parallel guesses are counted too (429 + Retry-After).
      const refusal = await spendSignInAttempt(deps.limits, ctx.ip, username);
      // Refused: the form stays, with the name typed and when to try again (the password is not checked).
      if (refusal) {
        ctx.set('Retry-After', String(refusal.retryAfter));
        return showLoginError(ctx, 429, refusalMessage(refusal), { username, next });
      }
      let user: User | null;
      try {
        user = await checkSignIn(ctx, deps, username, text(body.password));
      } catch (err) {
        if (!(err instanceof HashingBusy)) throw err;
        const wait = Number(err.headers?.['Retry-After']);
        ctx.set('Retry-After', String(wait));
        return showLoginError(ctx, 503, messages.hashingBusy(wait), { username, next });
      }
      if (!user) return showLoginError(ctx, 401, messages.badCredentials, { username, next });
      await startSession(ctx, user);
      deps.activity.record({ type: 'signin', ...requestEvent(ctx, user) });
      flash(ctx, 'success', messages.signedIn(user.username));
      ctx.status = 303;
      ctx.redirect(next);
    },
    logout: async (ctx: Context) => {
      // The server-side session is destroyed; the browser gets a fresh, empty one for the flash message.
      await renewSession(ctx);
      ctx.state.user = null;
      flash(ctx, 'info', messages.signedOut);
      ctx.status = 303;
      ctx.redirect('/');
    },
  };
}
