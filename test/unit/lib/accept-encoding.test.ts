import { acceptsCoding } from '../../../src/lib/accept-encoding';

describe('acceptsCoding', () => {
  it.each([
    // header, br, gzip, identity
    [undefined, false, false, true],
    ['', false, false, true],
    ['gzip, deflate, br', true, true, true],
    ['gzip, deflate, br, zstd', true, true, true],
    ['gzip', false, true, true],
    ['br;q=0.5, gzip;q=1.0', true, true, true],
    ['BR', true, false, true],
    ['br;q=0, gzip;q=0', false, false, true],
    ['br; q=0 , gzip', false, true, true],
    ['*', true, true, true],
    ['*;q=0', false, false, false],
    ['*;q=0, identity', false, false, true],
    ['identity;q=0, gzip', false, true, false],
    ['gzip;q=bogus', false, false, true],
    ['compress, deflate', false, false, true],
  ])('%j -> br %s, gzip %s, identity %s', (header, br, gzip, identity) => {
    expect(acceptsCoding(header, 'br')).toBe(br);
    expect(acceptsCoding(header, 'gzip')).toBe(gzip);
    expect(acceptsCoding(header, 'identity')).toBe(identity);
  });
});
