import type { Context } from 'koa';
import { TooManyRequests, ValidationError } from '../errors';
import { safeNext } from '../lib/safe-next';
import { flash } from '../middleware/flash';
import type { User } from '../repositories/users';
import type { AccountService } from '../services/accounts';
import { attemptKey, type AttemptLimiter } from '../services/rate-limit';

const messages = {
  badCredentials: 'The username or password is wrong.',
  signedIn: (name: string) => `Signed in as ${name}.`,
  registered: (name: string) => `Welcome to Depot, ${name}! Your account is ready.`,
  signedOut: 'You have signed out.',
};

type Body = Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** Starts an authenticated session under a new id (so a planted session id is worthless). */
export async function startSession(ctx: Context, user: User): Promise<void> {
  const session = ctx.session!;
  delete session.csrf;
  session.userId = user.id;
  session.tokenVersion = user.tokenVersion;
  await session.regenerate();
  ctx.state.user = user;
}

/** Registration, sign-in and sign-out pages. */
export function createAuthController(deps: { accounts: AccountService; limiter: AttemptLimiter }) {
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
      try {
        await deps.limiter.assertAllowed(key);
      } catch (err) {
        if (err instanceof TooManyRequests)
          ctx.set('Retry-After', err.headers?.['Retry-After'] ?? '900');
        throw err;
      }
      const user = await deps.accounts.authenticate(username, text(body.password));
      if (!user) {
        await deps.limiter.recordFailure(key);
        ctx.status = 401;
        ctx.render('pages/auth/login.njk', {
          values: { username },
          errors: { form: messages.badCredentials },
          next,
        });
        return;
      }
      await deps.limiter.reset(key);
      await startSession(ctx, user);
      flash(ctx, 'success', messages.signedIn(user.username));
      ctx.status = 303;
      ctx.redirect(next);
    },
    logout(ctx: Context) {
      ctx.session = null;
      ctx.status = 303;
      ctx.redirect('/');
    },
  };
}
