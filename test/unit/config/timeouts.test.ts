import { ConfigError, loadConfig } from '../../../src/config';

const SECRETS = { APP_KEYS: 'k'.repeat(32), JWT_SECRET: 's'.repeat(32) };

describe('loadConfig: timeouts', () => {
  it('defaults to a 20 s head, 30 s body idle, 60 s body total and 5 s per dependency call', () => {
    expect(loadConfig(SECRETS).timeouts).toEqual({
      headersMs: 20_000,
      bodyIdleMs: 30_000,
      bodyTotalMs: 60_000,
      dependencyMs: 5_000,
    });
  });

  it('reads durations like the other settings (ms, s, m; a bare number is seconds)', () => {
    const config = loadConfig({
      ...SECRETS,
      HEADERS_TIMEOUT: '1500ms',
      BODY_IDLE_TIMEOUT: '45',
      BODY_TIMEOUT: '2m',
      DEPENDENCY_TIMEOUT: '3s',
    });
    expect(config.timeouts).toEqual({
      headersMs: 1500,
      bodyIdleMs: 45_000,
      bodyTotalMs: 120_000,
      dependencyMs: 3000,
    });
  });

  it.each([
    ['HEADERS_TIMEOUT', 'soon', 'HEADERS_TIMEOUT: must be a positive duration such as 20s'],
    ['BODY_IDLE_TIMEOUT', '0', 'BODY_IDLE_TIMEOUT: must be a positive duration such as 30s'],
    ['BODY_TIMEOUT', '-5s', 'BODY_TIMEOUT: must be a positive duration such as 60s'],
    [
      'DEPENDENCY_TIMEOUT',
      '5 seconds',
      'DEPENDENCY_TIMEOUT: must be a positive duration such as 5s',
    ],
  ])('refuses %s=%s with one line naming it', (name, value, line) => {
    expect(() => loadConfig({ ...SECRETS, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...SECRETS, [name]: value })).toThrow(line);
  });
});
