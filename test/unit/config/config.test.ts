import {
  ConfigError,
  fallbackSecretsDir,
  loadConfig,
  type FallbackSecrets,
} from '../../../src/config';

const STRONG_KEY = 'k'.repeat(32);
const STRONG_SECRET = 's'.repeat(32);
/** What bin/boot.ts passes when it generated secrets into DATA_DIR. */
const GENERATED = {
  appKeys: ['generated-key-'.padEnd(43, 'g')],
  jwtSecret: 'generated-jwt-'.padEnd(64, 'j'),
};

/** The ConfigError thrown for `env`, or a failure when none is thrown. */
function configError(
  env: Record<string, string>,
  fallback: FallbackSecrets | null = GENERATED,
): ConfigError {
  try {
    loadConfig(env, fallback ?? undefined);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  describe('defaults (SPEC section 1)', () => {
    const config = loadConfig({}, GENERATED);

    it('listens on 0.0.0.0:3000 in development', () => {
      expect(config).toMatchObject({
        env: 'development',
        isProduction: false,
        port: 3000,
        host: '0.0.0.0',
      });
    });

    it('signs with the secrets generated into DATA_DIR, and tokens live one hour', () => {
      expect(config.appKeys).toEqual(GENERATED.appKeys);
      expect(config.jwtSecret).toBe(GENERATED.jwtSecret);
      expect(config.jwtTtlSeconds).toBe(3600);
    });

    it('needs no other server: SQLite under data/, no MongoDB, no Redis, files under uploads/', () => {
      expect(config.dataDir).toBe('data');
      expect(config.databaseUrl).toBe('sqlite:data/depot.sqlite');
      expect(config.mongodbUri).toBeNull();
      expect(config.redisUrl).toBeNull();
      expect(config.uploadDir).toBe('uploads');
    });

    it('allows 10 GiB files, 20 per form, unlimited quota, 7-day sessions', () => {
      expect(config.maxUploadBytes).toBe(10 * 1024 ** 3);
      expect(config.maxFormFiles).toBe(20);
      expect(config.userQuotaBytes).toBe(Infinity);
      expect(config.sessionTtlMs).toBe(7 * 24 * 3600 * 1000);
    });

    it('does not trust proxies, leaves WeChat off, and logs at info', () => {
      expect(config.trustProxy).toBe(false);
      expect(config.metricsToken).toBeNull();
      expect(config.wechat).toEqual({
        appId: null,
        secret: null,
        apiBase: 'https://api.weixin.qq.com',
      });
      expect(config.logLevel).toBe('info');
    });

    it('expires resumable uploads after 24 hours', () => {
      expect(config.uploadExpiryMs).toBe(24 * 3600 * 1000);
    });

    it('is frozen', () => {
      expect(Object.isFrozen(config)).toBe(true);
    });

    it('treats empty variables (as copied from .env.example) as unset', () => {
      expect(loadConfig({ APP_KEYS: '', PORT: '', JWT_SECRET: '' }, GENERATED)).toMatchObject({
        port: 3000,
        appKeys: GENERATED.appKeys,
        jwtSecret: GENERATED.jwtSecret,
      });
    });

    it('ignores variables it does not know', () => {
      expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }, GENERATED).port).toBe(3000);
    });
  });

  describe('secrets outside production (no constant ships in the code)', () => {
    it('has none of its own: without APP_KEYS, JWT_SECRET or generated ones it names both', () => {
      const envs: Record<string, string>[] = [
        {},
        { NODE_ENV: 'test' },
        { NODE_ENV: 'development' },
      ];
      for (const env of envs) {
        expect(() => loadConfig(env)).toThrow(ConfigError);
        const error = configError(env, null);
        expect(error.message).toMatch(/^Invalid configuration: APP_KEYS: .*; JWT_SECRET: /);
        expect(error.message).not.toContain('\n');
      }
    });

    it('uses what is set and fills only the rest from the generated ones', () => {
      expect(loadConfig({ APP_KEYS: 'mine' }, GENERATED)).toMatchObject({
        appKeys: ['mine'],
        jwtSecret: GENERATED.jwtSecret,
      });
      expect(loadConfig({ JWT_SECRET: 'my-secret' }, GENERATED)).toMatchObject({
        appKeys: GENERATED.appKeys,
        jwtSecret: 'my-secret',
      });
      expect(loadConfig({ APP_KEYS: 'a', JWT_SECRET: 'b' })).toMatchObject({
        appKeys: ['a'],
        jwtSecret: 'b',
      });
    });
  });

  describe('fallbackSecretsDir (where bin/boot.ts keeps generated secrets)', () => {
    it.each([
      [{}, 'data'],
      [{ NODE_ENV: 'test', DATA_DIR: '/var/lib/depot' }, '/var/lib/depot'],
      [{ APP_KEYS: 'a' }, 'data'],
      [{ JWT_SECRET: 'b', APP_KEYS: '' }, 'data'],
    ])('is DATA_DIR when a secret is unset outside production (%j)', (env, dir) => {
      expect(fallbackSecretsDir(env)).toBe(dir);
    });

    it.each([
      [{ APP_KEYS: 'a', JWT_SECRET: 'b' }],
      [{ NODE_ENV: 'production' }],
      [{ NODE_ENV: 'production', DATA_DIR: '/var/lib/depot' }],
      // A process that will not start writes nothing.
      [{ MAX_UPLOAD_BYTES: '-1' }],
      [{ NODE_ENV: 'staging' }],
    ])('is null when both are set, in production, or when a setting is bad (%j)', (env) => {
      expect(fallbackSecretsDir(env)).toBeNull();
    });
  });

  describe('reading values', () => {
    it('reads every variable it is given', () => {
      const config = loadConfig({
        DATA_DIR: '/var/lib/depot',
        METRICS_TOKEN: 'metrics-token-of-enough-length',
        PORT: '8080',
        HOST: '127.0.0.1',
        APP_KEYS: ' new-key , old-key ,',
        JWT_SECRET: 'x',
        JWT_TTL: '30m',
        DATABASE_URL: 'mysql://depot:pw@db.internal:3306/depot',
        MONGODB_URI: 'mongodb://127.0.0.1:27017/depot',
        REDIS_URL: 'redis://127.0.0.1:6379',
        UPLOAD_DIR: '/srv/depot',
        MAX_UPLOAD_BYTES: '512MiB',
        MAX_FORM_FILES: '5',
        USER_QUOTA_BYTES: '5 GiB',
        SESSION_TTL: '12h',
        TRUST_PROXY: 'true',
        WECHAT_APPID: 'wx123',
        WECHAT_SECRET: 'wechat-secret',
        WECHAT_API_BASE: 'http://127.0.0.1:9999/',
        LOG_LEVEL: 'debug',
      });
      expect(config).toMatchObject({
        port: 8080,
        host: '127.0.0.1',
        appKeys: ['new-key', 'old-key'],
        jwtTtlSeconds: 1800,
        databaseUrl: 'mysql://depot:pw@db.internal:3306/depot',
        mongodbUri: 'mongodb://127.0.0.1:27017/depot',
        redisUrl: 'redis://127.0.0.1:6379',
        uploadDir: '/srv/depot',
        dataDir: '/var/lib/depot',
        metricsToken: 'metrics-token-of-enough-length',
        maxUploadBytes: 512 * 1024 ** 2,
        maxFormFiles: 5,
        userQuotaBytes: 5 * 1024 ** 3,
        sessionTtlMs: 12 * 3600 * 1000,
        trustProxy: true,
        // The trailing slash goes, so paths can be appended.
        wechat: { appId: 'wx123', secret: 'wechat-secret', apiBase: 'http://127.0.0.1:9999' },
        logLevel: 'debug',
      });
    });

    it.each([
      ['true', true],
      ['1', true],
      ['YES', true],
      ['false', false],
      ['0', false],
      ['no', false],
    ])('reads TRUST_PROXY=%s as %s', (text, value) => {
      expect(loadConfig({ TRUST_PROXY: text }, GENERATED).trustProxy).toBe(value);
    });

    it.each(['unlimited', 'UNLIMITED'])('reads USER_QUOTA_BYTES=%s as no limit', (text) => {
      expect(loadConfig({ USER_QUOTA_BYTES: text }, GENERATED).userQuotaBytes).toBe(Infinity);
    });

    it('accepts PORT=0 (any free port) and a sqlite file anywhere', () => {
      expect(
        loadConfig({ PORT: '0', DATABASE_URL: 'sqlite:/tmp/x.sqlite' }, GENERATED),
      ).toMatchObject({
        port: 0,
        databaseUrl: 'sqlite:/tmp/x.sqlite',
      });
    });

    it('keeps the default SQLite file in DATA_DIR, unless DATABASE_URL says otherwise', () => {
      expect(loadConfig({ DATA_DIR: '/var/lib/depot/' }, GENERATED).databaseUrl).toBe(
        'sqlite:/var/lib/depot/depot.sqlite',
      );
      expect(
        loadConfig({ DATA_DIR: '/var/lib/depot', DATABASE_URL: 'sqlite:/x.sqlite' }, GENERATED)
          .databaseUrl,
      ).toBe('sqlite:/x.sqlite');
    });
  });

  describe('bad values stop start-up with one line naming the variable', () => {
    it.each([
      ['DATABASE_URL', 'postgres://u:p@localhost/depot', 'sqlite:'],
      ['DATABASE_URL', 'not a url', 'mysql://'],
      ['DATABASE_URL', 'mysql://localhost', 'mysql://'],
      ['DATABASE_URL', 'sqlite:', 'sqlite:'],
      ['MONGODB_URI', 'http://127.0.0.1:27017', 'mongodb://'],
      ['MONGODB_URI', 'mongodb//nope', 'mongodb://'],
      ['REDIS_URL', 'localhost:6379', 'redis://'],
      ['WECHAT_API_BASE', 'ftp://api.example', 'https://'],
      ['MAX_UPLOAD_BYTES', '-5', 'positive size'],
      ['MAX_UPLOAD_BYTES', '0', 'positive size'],
      ['MAX_UPLOAD_BYTES', 'lots', 'positive size'],
      ['MAX_UPLOAD_BYTES', '10 parsecs', 'positive size'],
      ['MAX_UPLOAD_BYTES', '99999999999 TiB', 'positive size'],
      ['USER_QUOTA_BYTES', '-1', 'unlimited'],
      ['USER_QUOTA_BYTES', 'infinite', 'unlimited'],
      ['JWT_TTL', 'soon', 'duration'],
      ['JWT_TTL', '-1h', 'duration'],
      ['JWT_TTL', '0', 'duration'],
      ['SESSION_TTL', '7 weeks', 'duration'],
      ['SESSION_TTL', '99999999999999999999d', 'duration'],
      ['UPLOAD_EXPIRY', '1.5h', 'duration'],
      ['TRUST_PROXY', 'maybe', 'TRUST_PROXY'],
      ['PORT', '65536', 'at most 65535'],
      ['PORT', '-1', 'whole number'],
      ['PORT', '80a', 'whole number'],
      ['MAX_FORM_FILES', '0', 'at least 1'],
      ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
      ['NODE_ENV', 'staging', 'NODE_ENV'],
      ['APP_KEYS', ' , ', 'at least one key'],
      ['METRICS_TOKEN', 'short', 'at least 16 characters'],
    ])('%s=%j', (name, value, hint) => {
      const error = configError({ [name]: value });
      expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
      expect(error.message).toContain(hint);
      expect(error.message).not.toContain('\n');
    });

    it('names every bad variable in the same line', () => {
      const error = configError({ PORT: 'x', MAX_UPLOAD_BYTES: '-1' });
      expect(error.message).toContain('PORT: ');
      expect(error.message).toContain('MAX_UPLOAD_BYTES: ');
      expect(error.message).not.toContain('\n');
    });

    it('refuses WECHAT_APPID without WECHAT_SECRET', () => {
      expect(configError({ WECHAT_APPID: 'wx123' }).message).toContain('WECHAT_SECRET');
    });
  });

  describe('NODE_ENV=production', () => {
    const production = { NODE_ENV: 'production', APP_KEYS: STRONG_KEY, JWT_SECRET: STRONG_SECRET };

    it('starts with its own long secrets', () => {
      const config = loadConfig(production);
      expect(config.isProduction).toBe(true);
      expect(config.appKeys).toEqual([STRONG_KEY]);
    });

    it('never falls back to generated secrets', () => {
      const error = configError({ NODE_ENV: 'production' }, GENERATED);
      expect(error.message).toMatch(/^Invalid configuration: APP_KEYS: production needs your own/);
      expect(
        configError({ NODE_ENV: 'production', APP_KEYS: STRONG_KEY }, GENERATED).message,
      ).toMatch(/^Invalid configuration: JWT_SECRET: production needs your own/);
    });

    it.each([
      ['APP_KEYS', undefined],
      ['APP_KEYS', 'short'],
      ['APP_KEYS', `${STRONG_KEY},short`],
      ['JWT_SECRET', undefined],
      ['JWT_SECRET', 's'.repeat(31)],
    ])('refuses %s=%s', (name, value) => {
      const env: Record<string, string> = { ...production };
      if (value === undefined) delete env[name];
      else env[name] = value;
      const error = configError(env);
      expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
      // The message names the variable, never the secret.
      if (value && value.length > 5) expect(error.message).not.toContain(value);
    });
  });
});
