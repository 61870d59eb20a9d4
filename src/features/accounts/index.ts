import type Router from '@koa/router';
import type { Infrastructure } from '../../deps';
import type { ActivityRecorder } from '../activity/events';
import { createAccountController } from './account-controller';
import { createApiAuthController } from './api-controller';
import { apiAuthRoutes } from './api-routes';
import { createAuthController } from './auth-controller';
import { createAttemptLimiter, REGISTRATION_WINDOW_SECONDS, type SignInLimits } from './rate-limit';
import { accountRoutes } from './routes';
import { createAccountService, type AccountService } from './service';
import { createTokenService, type TokenService } from './tokens';
import { createUserRepository } from './users-repository';
import { createWechatClient } from './wechat';

/** Users, sign-in (pages, API tokens, WeChat) and the account page. */
export interface AccountsFeature {
  accounts: AccountService;
  tokens: TokenService;
  /** The routers; sign-ins are recorded in the activity log. */
  routes(needs: { activity: ActivityRecorder }): Router[];
}

/** Builds the account service, the token service, the sign-in limits and the WeChat client (when configured). */
export function createAccountsFeature(
  infra: Infrastructure,
  options: { wechatTimeoutMs?: number } = {},
): AccountsFeature {
  const { config, redis } = infra;
  const accounts = createAccountService({
    sequelize: infra.sequelize,
    users: createUserRepository(infra.models.User),
    hashParams: infra.hashParams,
  });
  const tokens = createTokenService({ secret: config.jwtSecret, ttlSeconds: config.jwtTtlSeconds });
  // Failed sign-ins per IP and user name, and per IP across all names (pages, API, password change).
  const limits: SignInLimits = {
    byName: createAttemptLimiter({ redis, keyPrefix: 'login-fail' }),
    byAddress: createAttemptLimiter({
      redis,
      keyPrefix: 'login-ip-fail',
      points: config.limits.signInFailuresPerAddress,
    }),
  };
  const registrations = createAttemptLimiter({
    redis,
    keyPrefix: 'register',
    points: config.limits.registrationsPerHour,
    windowSeconds: REGISTRATION_WINDOW_SECONDS,
  });
  const { appId, secret, apiBase } = config.wechat;
  const wechat =
    appId && secret
      ? createWechatClient(
          { appId, secret, apiBase, timeoutMs: options.wechatTimeoutMs ?? 5000 },
          infra.logger,
        )
      : null;
  return {
    accounts,
    tokens,
    routes({ activity }) {
      const auth = createAuthController({ accounts, limits, registrations, activity });
      const account = createAccountController({ accounts, limits });
      const api = createApiAuthController({ accounts, tokens, limits, wechat, activity });
      return [accountRoutes({ auth, account }), ...apiAuthRoutes(api, { wechat: wechat !== null })];
    },
  };
}
