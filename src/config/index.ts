import path from 'node:path';
import { presentVariables, schema } from './schema';
import { developmentSecrets, productionSecrets } from './secrets-policy';
import { ConfigError, type Config, type FallbackSecrets } from './types';

export { ConfigError, type Config, type FallbackSecrets, type TimeoutSettings } from './types';

/**
 * The directory where bin/boot.ts must keep generated secrets before calling loadConfig: DATA_DIR
 * when APP_KEYS or JWT_SECRET is unset outside production; null when both are set, in production
 * (which must set its own; loadConfig refuses it otherwise) or when another setting is invalid.
 */
export function fallbackSecretsDir(env: Record<string, string | undefined>): string | null {
  const parsed = schema.safeParse(presentVariables(env));
  // A bad setting is reported by loadConfig; nothing is written for a process that will not start.
  if (!parsed.success) return null;
  const vars = parsed.data;
  if (vars.NODE_ENV === 'production' || (vars.APP_KEYS && vars.JWT_SECRET)) return null;
  return vars.DATA_DIR;
}

/**
 * Reads every setting once from `env`, validates it, and returns a frozen Config. `fallback` fills in
 * APP_KEYS / JWT_SECRET when they are unset outside production (bin/boot.ts generates them).
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  fallback?: FallbackSecrets,
): Config {
  const parsed = schema.safeParse(presentVariables(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const vars = parsed.data;
  if (vars.WECHAT_APPID && !vars.WECHAT_SECRET) {
    throw new ConfigError(
      'Invalid configuration: WECHAT_SECRET: must be set when WECHAT_APPID is set',
    );
  }
  const isProduction = vars.NODE_ENV === 'production';
  const secrets = isProduction
    ? productionSecrets(vars.APP_KEYS, vars.JWT_SECRET)
    : developmentSecrets(vars.APP_KEYS, vars.JWT_SECRET, fallback);
  const config: Config = {
    env: vars.NODE_ENV,
    isProduction,
    port: vars.PORT,
    host: vars.HOST,
    ...secrets,
    jwtTtlSeconds: Math.floor(vars.JWT_TTL / 1000),
    databaseUrl: vars.DATABASE_URL ?? `sqlite:${path.join(vars.DATA_DIR, 'depot.sqlite')}`,
    mongodbUri: vars.MONGODB_URI ?? null,
    redisUrl: vars.REDIS_URL ?? null,
    uploadDir: vars.UPLOAD_DIR,
    dataDir: vars.DATA_DIR,
    maxUploadBytes: vars.MAX_UPLOAD_BYTES,
    maxFormFiles: vars.MAX_FORM_FILES,
    userQuotaBytes: vars.USER_QUOTA_BYTES,
    sessionTtlMs: vars.SESSION_TTL,
    trustProxy: vars.TRUST_PROXY.hops > 0 || vars.TRUST_PROXY.addresses.length > 0,
    proxy: vars.TRUST_PROXY,
    publicUrl: vars.PUBLIC_URL ?? null,
    limits: {
      signInFailuresPerAddress: vars.SIGNIN_FAILURES_PER_ADDRESS,
      registrationsPerHour: vars.REGISTRATIONS_PER_HOUR,
    },
    metricsToken: vars.METRICS_TOKEN ?? null,
    wechat: {
      appId: vars.WECHAT_APPID ?? null,
      secret: vars.WECHAT_SECRET ?? null,
      apiBase: vars.WECHAT_API_BASE.replace(/\/+$/, ''),
    },
    logLevel: vars.LOG_LEVEL,
    uploadExpiryMs: vars.UPLOAD_EXPIRY,
    storageSweepIntervalMs: vars.STORAGE_SWEEP_INTERVAL,
    activityTtlDays: vars.ACTIVITY_TTL_DAYS,
    timeouts: {
      headersMs: vars.HEADERS_TIMEOUT,
      bodyIdleMs: vars.BODY_IDLE_TIMEOUT,
      bodyTotalMs: vars.BODY_TIMEOUT,
      dependencyMs: vars.DEPENDENCY_TIMEOUT,
    },
  };
  return Object.freeze(config);
}
