import { z } from 'zod';
import { ADDRESS_FAILURES_ALLOWED, REGISTRATIONS_ALLOWED } from '../features/accounts/rate-limit';
import { duration, intRange, proxyTrust, quota, size, url } from './fields';

const MIN_METRICS_TOKEN_CHARS = 16;

/** Every environment variable Depot reads, with its default and the form it must take. */
export const schema = z.object({
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
  USER_QUOTA_BYTES: quota.default(Infinity),
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
export function presentVariables(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[0] in schema.shape && entry[1] !== undefined && entry[1] !== '',
    ),
  );
}
