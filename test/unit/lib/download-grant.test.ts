import { GRANT_TTL_MS, grantHolds, signGrant } from '../../../src/lib/download-grant';

const KEYS = ['current-key-0123456789', 'previous-key-0123456789'];
const SUBJECT = { shareToken: 'tok_abcdefghijklmnop', sha256: 'a'.repeat(64) };
const NOW = Date.UTC(2026, 0, 1);

describe('download grants', () => {
  const grant = signGrant(KEYS, SUBJECT, NOW);

  it('holds for its link and bytes until it expires', () => {
    expect(grantHolds(KEYS, grant, SUBJECT, NOW)).toBe(true);
    expect(grantHolds(KEYS, grant, SUBJECT, NOW + GRANT_TTL_MS - 1000)).toBe(true);
    expect(grantHolds(KEYS, grant, SUBJECT, NOW + GRANT_TTL_MS)).toBe(false);
  });

  it('holds after a key rotation (signed with a key still listed)', () => {
    expect(grantHolds(['newer-key-0123456789', ...KEYS], grant, SUBJECT, NOW)).toBe(true);
    expect(grantHolds(['unrelated-key-0123456789'], grant, SUBJECT, NOW)).toBe(false);
  });

  it.each([
    ['another link', { ...SUBJECT, shareToken: 'tok_other_link_00000' }],
    ['other bytes', { ...SUBJECT, sha256: 'b'.repeat(64) }],
  ])('does not hold for %s', (_what, subject) => {
    expect(grantHolds(KEYS, grant, subject, NOW)).toBe(false);
  });

  it.each([
    ['nothing', undefined],
    ['an empty value', ''],
    ['a later expiry with the same MAC', grant.replace(/^\d+/, (s) => String(Number(s) + 3600))],
    ['a changed MAC', `${grant.slice(0, -2)}${grant.endsWith('AA') ? 'AB' : 'AA'}`],
    ['garbage', 'x.y.z'],
    ['an overlong value', `${grant}${'A'.repeat(1000)}`],
  ])('refuses %s', (_what, value) => {
    expect(grantHolds(KEYS, value, SUBJECT, NOW)).toBe(false);
  });
});
