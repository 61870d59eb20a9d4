import type { Context } from 'koa';
import { BadRequest, TooManyRequests, Unauthorized, ValidationError } from '../../errors';
import type { AccountService } from './service';
import type { ActivityRecorder } from '../activity/events';
import { spendSignInAttempt, type SignInLimits } from './rate-limit';
import type { TokenService } from './tokens';
import type { WechatClient } from './wechat';
import { checkSignIn, refusalMessage, requestEvent } from './auth-controller';

const MAX_WECHAT_CODE_LENGTH = 256;

function jsonBody(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest('Send a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** Presents a user to API clients. */
function userJson(user: { id: string; username: string; role: string; createdAt: Date }) {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    created_at: user.createdAt.toISOString(),
  };
}

/** Token issue, revocation, WeChat login and /api/me. */
export function createApiAuthController(deps: {
  accounts: AccountService;
  tokens: TokenService;
  limits: SignInLimits;
  wechat: WechatClient | null;
  activity: ActivityRecorder;
}) {
  return {
    token: async (ctx: Context) => {
      const body = jsonBody(ctx);
      const errors: Record<string, string> = {};
      if (typeof body.username !== 'string' || !body.username) errors.username = 'Required.';
      if (typeof body.password !== 'string' || !body.password) errors.password = 'Required.';
      if (Object.keys(errors).length) throw new ValidationError(errors);
      const username = body.username as string;
      // Spent before the password is checked, so parallel guesses are counted too (429 + Retry-After).
      const refusal = await spendSignInAttempt(deps.limits, ctx.ip, username);
      // The per-name refusal keeps its short wording; the address one says whose budget ran out.
      if (refusal)
        throw new TooManyRequests(
          refusal.retryAfter,
          refusal.scope === 'name' ? undefined : refusalMessage(refusal),
        );
      // A busy hashing queue answers 503 with Retry-After (the error handler's problem+json).
      const user = await checkSignIn(ctx, deps, username, body.password as string);
      if (!user) throw new Unauthorized('The username or password is wrong.');
      deps.activity.record({ type: 'signin', ...requestEvent(ctx, user) });
      ctx.set('Cache-Control', 'no-store');
      ctx.body = deps.tokens.issue(user);
    },
    /** Mounted only when WeChat is configured (the route is 404 otherwise). */
    wechat: async (ctx: Context) => {
      const body = jsonBody(ctx);
      const code = typeof body.code === 'string' ? body.code.trim() : '';
      // 400, as issue 3 asks for a missing or empty code; `errors` still names the field.
      if (!code || code.length > MAX_WECHAT_CODE_LENGTH)
        throw new BadRequest('Send the code from wx.login().', {
          details: { code: code ? 'Too long.' : 'Required: the code from wx.login().' },
        });
      const { openid } = await deps.wechat!.code2Session(code);
      const user = await deps.accounts.findOrCreateByOpenid(openid);
      deps.activity.record({ type: 'signin', ...requestEvent(ctx, user) });
      ctx.set('Cache-Control', 'no-store');
      ctx.body = deps.tokens.issue(user);
    },
    revoke: async (ctx: Context) => {
      await deps.accounts.revokeTokens(ctx.state.user!.id);
      ctx.status = 204;
    },
    me: (ctx: Context) => {
      ctx.body = userJson(ctx.state.user!);
    },
  };
}
