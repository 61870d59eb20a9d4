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
export interface ProxyTrust {
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

/** Secrets bin/boot.ts keeps in DATA_DIR for the APP_KEYS / JWT_SECRET left unset (never in production). */
export interface FallbackSecrets {
  appKeys: string[];
  jwtSecret: string;
}
