import { loadConfig } from '../../../src/config';

const base = { APP_KEYS: 'k'.repeat(40), JWT_SECRET: 's'.repeat(40) };

describe('STORAGE_SWEEP_INTERVAL', () => {
  it('defaults to 5 minutes and takes a duration', () => {
    expect(loadConfig(base).storageSweepIntervalMs).toBe(300_000);
    expect(loadConfig({ ...base, STORAGE_SWEEP_INTERVAL: '30s' }).storageSweepIntervalMs).toBe(
      30_000,
    );
  });

  it('refuses anything that is not a positive duration, naming the variable', () => {
    for (const value of ['0', 'soon', '-5m'])
      expect(() => loadConfig({ ...base, STORAGE_SWEEP_INTERVAL: value })).toThrow(
        /STORAGE_SWEEP_INTERVAL: must be a positive duration/,
      );
  });
});
