import { ConfigError, type Config, type FallbackSecrets } from './types';

const MIN_SECRET_BYTES = 32;

type Secrets = Pick<Config, 'appKeys' | 'jwtSecret'>;

/** Production sets its own secrets, long enough to resist guessing; nothing is generated for it. */
export function productionSecrets(
  appKeys: string[] | undefined,
  jwtSecret: string | undefined,
): Secrets {
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
export function developmentSecrets(
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
