import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { parseDuration, parseSize } from '../lib/units';
import { ADDRESS_FAILURES_ALLOWED, REGISTRATIONS_ALLOWED } from '../features/accounts/rate-limit';

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
  /** Where the default SQLite file and, outside production, the generated secrets live. */
  dataDir: string;
  maxUploadBytes: number;
  maxFormFiles: number;
  /** Infinity when unlimited. */
  userQuotaBytes: number;
  sessionTtlMs: number;
  /** True when any reverse proxy is trusted (proxy.hops > 0 or proxy.addresses). */
  trustProxy: boolean;
  /** Which proxies' X-Forwarded-For entries count (TRUST_PROXY; README, "Behind a reverse proxy"). */
  proxy: ProxyTrust;
  /** The origin Depot is reached at (PUBLIC_URL, e.g. https://depot.example.com), or null. */
  publicUrl: string | null;
  /** Failed sign-ins per IP across all names (15 min), registrations per IP (hour): README, Security. */
  limits: { signInFailuresPerAddress: number; registrationsPerHour: number };
  /** Bearer token that opens /metrics to clients other than loopback; null: loopback only. */
  metricsToken: string | null;
  wechat: { appId: string | null; secret: string | null; apiBase: string };
  logLevel: string;
  uploadExpiryMs: number;
  /** How often a running server removes abandoned temp files and unregistered content. */
  storageSweepIntervalMs: number;
  activityTtlDays: number;
  /** How long a client or a dependency may keep a request waiting (README, Operations). */
  timeouts: TimeoutSettings;
}

/**
 * The proxies Depot believes: the right-most `hops` entries of X-Forwarded-For, or (when `addresses` is
 * not empty) every entry from the right while it is one of these addresses or CIDRs (proxy-addr).
 * `deprecatedTrue`: set as `true`, the old spelling of 1.
 */
interface ProxyTrust {
  hops: number;
  addresses: string[];
  deprecatedTrue: boolean;
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

const MIN_SECRET_BYTES = 32;
const MIN_METRICS_TOKEN_CHARS = 16;

/** Secrets bin/boot.ts keeps in DATA_DIR for the APP_KEYS / JWT_SECRET left unset (never in production). */
export interface FallbackSecrets {
  appKeys: string[];
  jwtSecret: string;
}

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

const MAX_PROXY_HOPS = 10;

/** TRUST_PROXY: false/0 (none), a number of hops, true (deprecated: 1 hop), or a list of addresses/CIDRs. */
const proxyTrust = z.string().transform((raw, ctx): ProxyTrust => {
  const text = raw.trim().toLowerCase();
  if (['false', 'no', '0'].includes(text)) return { hops: 0, addresses: [], deprecatedTrue: false };
  if (['true', 'yes'].includes(text)) return { hops: 1, addresses: [], deprecatedTrue: true };
  if (/^\d+$/.test(text) && Number(text) <= MAX_PROXY_HOPS)
    return { hops: Number(text), addresses: [], deprecatedTrue: false };
  const addresses = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    if (!addresses.length || /^\d+$/.test(text)) throw new Error('not a list');
    proxyaddr.compile(addresses);
    return { hops: 0, addresses, deprecatedTrue: false };
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `must be false, a number of proxy hops (1 to ${MAX_PROXY_HOPS}) or a comma-separated list of proxy addresses or CIDRs such as 10.0.0.0/8,::1`,
    });
    return z.NEVER;
  }
});

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
    .optional(),
  JWT_SECRET: z.string().min(1).optional(),
  JWT_TTL: duration('1h').default(3_600_000),
  DATABASE_URL: z
    .string()
    .refine((text) => /^sqlite:.+/.test(text) || /^mysql:\/\/[^/]+\/\w+/.test(text), {
      message: 'must be sqlite:<path> or mysql://user:pass@host:3306/database',
    })
    .optional(),
  DATA_DIR: z.string().min(1).default('data'),
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
  TRUST_PROXY: proxyTrust.default({ hops: 0, addresses: [], deprecatedTrue: false }),
  PUBLIC_URL: url(['http:', 'https:'])
    .refine((text) => ['', '/'].includes(new URL(text).pathname) && !new URL(text).search, {
      message: 'must be an origin such as https://depot.example.com (no path)',
    })
    .transform((text) => new URL(text).origin)
    .optional(),
  SIGNIN_FAILURES_PER_ADDRESS: intRange(1, 100_000).default(ADDRESS_FAILURES_ALLOWED),
  REGISTRATIONS_PER_HOUR: intRange(1, 100_000).default(REGISTRATIONS_ALLOWED),
  METRICS_TOKEN: z
    .string()
    .min(MIN_METRICS_TOKEN_CHARS, {
      message: `must be at least ${MIN_METRICS_TOKEN_CHARS} characters (it guards /metrics)`,
    })
    .optional(),
  WECHAT_APPID: z.string().optional(),
  WECHAT_SECRET: z.string().optional(),
  WECHAT_API_BASE: url(['http:', 'https:']).default('https://api.weixin.qq.com'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  UPLOAD_EXPIRY: duration('24h').default(24 * 3_600_000),
  STORAGE_SWEEP_INTERVAL: duration('5m').default(5 * 60_000),
  ACTIVITY_TTL_DAYS: intRange(1, 36500).default(180),
  HEADERS_TIMEOUT: duration('20s').default(20_000),
  BODY_IDLE_TIMEOUT: duration('30s').default(30_000),
  BODY_TIMEOUT: duration('60s').default(60_000),
  DEPENDENCY_TIMEOUT: duration('5s').default(5_000),
});

/** The variables of `env` this schema knows and that are set (empty ones, as copied from .env.example, are not). */
function presentVariables(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[0] in schema.shape && entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

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

type Secrets = Pick<Config, 'appKeys' | 'jwtSecret'>;

/** Production sets its own secrets, long enough to resist guessing; nothing is generated for it. */
function productionSecrets(appKeys: string[] | undefined, jwtSecret: string | undefined): Secrets {
  if (!appKeys || appKeys.some((key) => Buffer.byteLength(key) < MIN_SECRET_BYTES)) {
    throw new ConfigError(
      `Invalid configuration: APP_KEYS: production needs your own keys of at least ${MIN_SECRET_BYTES} bytes each`,
    );
  }
  if (!jwtSecret || Buffer.byteLength(jwtSecret) < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `Invalid configuration: JWT_SECRET: production needs your own secret of at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  return { appKeys, jwtSecret };
}

/** Development and test: what is set wins, the generated fallback fills the rest; there is no constant. */
function developmentSecrets(
  appKeys: string[] | undefined,
  jwtSecret: string | undefined,
  fallback: FallbackSecrets | undefined,
): Secrets {
  const keys = appKeys ?? fallback?.appKeys;
  const secret = jwtSecret ?? fallback?.jwtSecret;
  const missing = [!keys && 'APP_KEYS', !secret && 'JWT_SECRET'].filter(Boolean);
  if (!keys || !secret) {
    const lines = missing.map(
      (name) => `${name}: must be set (bin/boot.ts generates it into DATA_DIR)`,
    );
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  return { appKeys: keys, jwtSecret: secret };
}
