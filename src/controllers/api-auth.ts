import type { Context } from 'koa';
import { BadRequest, NotFound, Unauthorized, ValidationError } from '../errors';
import type { AccountService } from '../services/accounts';
import { attemptKey, type AttemptLimiter } from '../services/rate-limit';
import type { TokenService } from '../services/tokens';
import type { WechatClient } from '../services/wechat';

function jsonBody(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest('Send a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** Presents a user to API clients. */
export function userJson(user: { id: string; username: string; role: string; createdAt: Date }) {
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
  limiter: AttemptLimiter;
  wechat: WechatClient | null;
}) {
  return {
    async token(ctx: Context) {
      const body = jsonBody(ctx);
      const errors: Record<string, string> = {};
      if (typeof body.username !== 'string' || !body.username) errors.username = 'Required.';
      if (typeof body.password !== 'string' || !body.password) errors.password = 'Required.';
      if (Object.keys(errors).length) throw new ValidationError(errors);
      const key = attemptKey(ctx.ip, body.username as string);
      await deps.limiter.assertAllowed(key);
      const user = await deps.accounts.authenticate(
        body.username as string,
        body.password as string,
      );
      if (!user) {
        await deps.limiter.recordFailure(key);
        throw new Unauthorized('The username or password is wrong.');
      }
      await deps.limiter.reset(key);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = deps.tokens.issue(user);
    },
    async wechat(ctx: Context) {
      if (!deps.wechat) throw new NotFound();
      const body = jsonBody(ctx);
      const code = typeof body.code === 'string' ? body.code.trim() : '';
      if (!code) throw new ValidationError({ code: 'Required: the code from wx.login().' });
      const { openid } = await deps.wechat.code2Session(code);
      const user = await deps.accounts.findOrCreateByOpenid(openid);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = deps.tokens.issue(user);
    },
    async revoke(ctx: Context) {
      await deps.accounts.revokeTokens(ctx.state.user!.id);
      ctx.status = 204;
    },
    me(ctx: Context) {
      ctx.body = userJson(ctx.state.user!);
    },
  };
}
