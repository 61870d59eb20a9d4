import { z } from 'zod';
import { parseDuration, parseSize } from './lib/units';

/** The validated, typed configuration of one Depot process. */
export interface Config {
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  appKeys: string[];
  jwtSecret: string;
  jwtTtlSeconds: number;
  databaseUrl: string;
  mongodbUri: string | null;
  redisUrl: string | null;
  uploadDir: string;
  maxUploadBytes: number;
  maxFormFiles: number;
  /** Infinity when unlimited. */
  userQuotaBytes: number;
  sessionTtlMs: number;
  trustProxy: boolean;
  wechat: { appId: string | null; secret: string | null; apiBase: string };
  logLevel: string;
  uploadExpiryMs: number;
  activityTtlDays: number;
  /** How long a client or a dependency may keep a request waiting (README, Operations). */
  timeouts: TimeoutSettings;
}

/** Bounds in milliseconds: request head, body idle, non-upload body total, each database/Redis call. */
export interface TimeoutSettings {
  headersMs: number;
  bodyIdleMs: number;
  bodyTotalMs: number;
  dependencyMs: number;
}

/** Thrown by loadConfig; its message is one line per bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEV_APP_KEY = 'depot-dev-only-cookie-key-change-me';
export const DEV_JWT_SECRET = 'depot-dev-only-jwt-secret-change-me';
const MIN_SECRET_BYTES = 32;

const size = (label: string) =>
  z.string().transform((text, ctx) => {
    const bytes = parseSize(text);
    if (bytes === null || bytes <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a positive size such as 1048576 or ${label}`,
      });
      return z.NEVER;
    }
    return bytes;
  });

const duration = (example: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be a positive duration such as ${example}` });
      return z.NEVER;
    }
    return ms;
  });

const url = (protocols: string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const bool = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((text) => ['true', '1', 'yes'].includes(text));

const intRange = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: intRange(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  APP_KEYS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string()).min(1, { message: 'must list at least one key' }))
    .default([DEV_APP_KEY]),
  JWT_SECRET: z.string().min(1).default(DEV_JWT_SECRET),
  JWT_TTL: duration('1h').default(3_600_000),
  DATABASE_URL: z
    .string()
    .refine((text) => /^sqlite:.+/.test(text) || /^mysql:\/\/[^/]+\/\w+/.test(text), {
      message: 'must be sqlite:<path> or mysql://user:pass@host:3306/database',
    })
    .default('sqlite:data/depot.sqlite'),
  MONGODB_URI: url(['mongodb:', 'mongodb+srv:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  UPLOAD_DIR: z.string().min(1).default('uploads'),
  MAX_UPLOAD_BYTES: size('10GiB').default(10 * 1024 ** 3),
  MAX_FORM_FILES: intRange(1, 1000).default(20),
  USER_QUOTA_BYTES: z
    .string()
    .transform((text, ctx) => {
      if (['', 'unlimited'].includes(text.trim().toLowerCase())) return Infinity;
      const bytes = parseSize(text);
      if (bytes === null || bytes <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a positive size such as 5GiB, or unlimited',
        });
        return z.NEVER;
      }
      return bytes;
    })
    .default(Infinity),
  SESSION_TTL: duration('7d').default(7 * 86_400_000),
  TRUST_PROXY: bool.default(false),
  WECHAT_APPID: z.string().optional(),
  WECHAT_SECRET: z.string().optional(),
  WECHAT_API_BASE: url(['http:', 'https:']).default('https://api.weixin.qq.com'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  UPLOAD_EXPIRY: duration('24h').default(24 * 3_600_000),
  ACTIVITY_TTL_DAYS: intRange(1, 36500).default(180),
  HEADERS_TIMEOUT: duration('20s').default(20_000),
  BODY_IDLE_TIMEOUT: duration('30s').default(30_000),
  BODY_TIMEOUT: duration('60s').default(60_000),
  DEPENDENCY_TIMEOUT: duration('5s').default(5_000),
});

/** Reads every setting once from `env`, validates it, and returns a frozen Config. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) => key in schema.shape && value !== undefined && value !== '',
    ),
  );
  const parsed = schema.safeParse(present);
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
  const config: Config = {
    env: vars.NODE_ENV,
    isProduction: vars.NODE_ENV === 'production',
    port: vars.PORT,
    host: vars.HOST,
    appKeys: vars.APP_KEYS,
    jwtSecret: vars.JWT_SECRET,
    jwtTtlSeconds: Math.floor(vars.JWT_TTL / 1000),
    databaseUrl: vars.DATABASE_URL,
    mongodbUri: vars.MONGODB_URI ?? null,
    redisUrl: vars.REDIS_URL ?? null,
    uploadDir: vars.UPLOAD_DIR,
    maxUploadBytes: vars.MAX_UPLOAD_BYTES,
    maxFormFiles: vars.MAX_FORM_FILES,
    userQuotaBytes: vars.USER_QUOTA_BYTES,
    sessionTtlMs: vars.SESSION_TTL,
    trustProxy: vars.TRUST_PROXY,
    wechat: {
      appId: vars.WECHAT_APPID ?? null,
      secret: vars.WECHAT_SECRET ?? null,
      apiBase: vars.WECHAT_API_BASE.replace(/\/+$/, ''),
    },
    logLevel: vars.LOG_LEVEL,
    uploadExpiryMs: vars.UPLOAD_EXPIRY,
    activityTtlDays: vars.ACTIVITY_TTL_DAYS,
    timeouts: {
      headersMs: vars.HEADERS_TIMEOUT,
      bodyIdleMs: vars.BODY_IDLE_TIMEOUT,
      bodyTotalMs: vars.BODY_TIMEOUT,
      dependencyMs: vars.DEPENDENCY_TIMEOUT,
    },
  };
  if (config.isProduction) assertProductionSecrets(config);
  return Object.freeze(config);
}

function assertProductionSecrets(config: Config): void {
  if (
    config.appKeys.some((key) => key === DEV_APP_KEY || Buffer.byteLength(key) < MIN_SECRET_BYTES)
  ) {
    throw new ConfigError(
      `Invalid configuration: APP_KEYS: production needs your own keys of at least ${MIN_SECRET_BYTES} bytes each`,
    );
  }
  if (
    config.jwtSecret === DEV_JWT_SECRET ||
    Buffer.byteLength(config.jwtSecret) < MIN_SECRET_BYTES
  ) {
    throw new ConfigError(
      `Invalid configuration: JWT_SECRET: production needs your own secret of at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
}
