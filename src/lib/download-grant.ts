import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie a counted share download sets, scoped to that link's download path. */
export const GRANT_COOKIE = 'depot.grant';
/** How long a counted download may be resumed for free: a working day of interrupted transfers, no more. */
export const GRANT_TTL_MS = 6 * 3600 * 1000;

/** What a grant is bound to: one link and the exact bytes it served. */
export interface GrantSubject {
  shareToken: string;
  sha256: string;
}

const GRANT = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

function mac(key: string, subject: GrantSubject, expiresSec: number): Buffer {
  // Purpose-tagged, so the MAC can never be taken for another use of the same key.
  return createHmac('sha256', key)
    .update(`depot share download grant\n${subject.shareToken}\n${subject.sha256}\n${expiresSec}`)
    .digest();
}

/** A grant for `subject` valid until `nowMs + GRANT_TTL_MS`, signed with the first (current) app key. */
export function signGrant(keys: readonly string[], subject: GrantSubject, nowMs: number): string {
  const expiresSec = Math.floor((nowMs + GRANT_TTL_MS) / 1000);
  return `${expiresSec}.${mac(keys[0], subject, expiresSec).toString('base64url')}`;
}

/** Whether `value` is an unexpired grant for exactly `subject`, signed with any of the app keys (rotation). */
export function grantHolds(
  keys: readonly string[],
  value: string | undefined,
  subject: GrantSubject,
  nowMs: number,
): boolean {
  const match = GRANT.exec(value ?? '');
  if (!match) return false;
  const expiresSec = Number(match[1]);
  if (expiresSec * 1000 <= nowMs) return false;
  const given = Buffer.from(match[2], 'base64url');
  return keys.some((key) => {
    const expected = mac(key, subject, expiresSec);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
