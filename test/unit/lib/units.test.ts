import { formatSize, parseDuration, parseSize } from '../../../src/lib/units';

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['1048576', 1048576],
    ['512b', 512],
    ['1k', 1024],
    ['1KB', 1024],
    ['512 KiB', 512 * 1024],
    ['1.5KiB', 1536],
    ['20mb', 20 * 1024 ** 2],
    ['10GiB', 10 * 1024 ** 3],
    ['  10 gib  ', 10 * 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
    ['1tib', 1024 ** 4],
  ])('reads %j as %d bytes (binary units)', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', '-5', '-1MiB', 'lots', '10 parsecs', '1e6', '1,000', 'MiB', '1.2.3', '0x10'])(
    'refuses %j',
    (text) => {
      expect(parseSize(text)).toBeNull();
    },
  );

  it('refuses sizes beyond what a number can count exactly', () => {
    expect(parseSize('99999999999 TiB')).toBeNull();
    expect(parseSize('9'.repeat(20))).toBeNull();
  });

  it('rounds fractional bytes down', () => {
    expect(parseSize('1.0001k')).toBe(1024);
  });
});

describe('parseDuration', () => {
  it.each([
    ['3600', 3_600_000],
    ['250ms', 250],
    ['45s', 45_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1H', 3_600_000],
    [' 7d ', 7 * 86_400_000],
    ['7 d', 7 * 86_400_000],
    ['0', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '-1h', '1.5h', '2w', '1h30m', 'h', '99999999999999999999d'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );
});

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1024 ** 2 - 1, '1 MiB'],
    [1023.4 * 1024, '1023 KiB'],
    [1023.6 * 1024, '1 MiB'],
    [99.94 * 1024, '99.9 KiB'],
    [99.96 * 1024, '100 KiB'],
    [10 * 1024 ** 2, '10 MiB'],
    [150 * 1024 ** 2, '150 MiB'],
    [10 * 1024 ** 3, '10 GiB'],
    [3 * 1024 ** 4, '3 TiB'],
    [2048 * 1024 ** 4, '2048 TiB'],
  ])('formats %d bytes as %j', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('round-trips with parseSize for whole units', () => {
    for (const text of ['1 KiB', '10 MiB', '10 GiB']) {
      expect(formatSize(parseSize(text) as number)).toBe(text);
    }
  });
});
