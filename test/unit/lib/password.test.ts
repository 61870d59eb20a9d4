import crypto from 'node:crypto';
import {
  DEFAULT_HASH_PARAMS,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '../../../src/lib/password';

const CHEAP = { logN: 10, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('uses scrypt N=2^15, r=8, p=3 by default and records them in the hash', async () => {
    expect(DEFAULT_HASH_PARAMS).toEqual({ logN: 15, r: 8, p: 3 });
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$15\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
  });

  it('salts every hash, so the same password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same-password', CHEAP),
      hashPassword('same-password', CHEAP),
    ]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same-password', a)).resolves.toBe(true);
    await expect(verifyPassword('same-password', b)).resolves.toBe(true);
  });

  it('refuses a wrong password, including one differing only in case or a trailing space', async () => {
    const hash = await hashPassword('Secret-pass1', CHEAP);
    for (const wrong of ['secret-pass1', 'Secret-pass1 ', 'Secret-pass', '']) {
      await expect(verifyPassword(wrong, hash)).resolves.toBe(false);
    }
  });

  it('treats canonically equivalent Unicode spellings as the same password (NFC)', async () => {
    const hash = await hashPassword('caf\u00e9-latte', CHEAP);
    await expect(verifyPassword('cafe\u0301-latte', hash)).resolves.toBe(true);
  });

  it('never matches, and never throws on, a malformed or hostile stored hash', async () => {
    const good = await hashPassword('correct horse battery', CHEAP);
    const [, , , , salt, key] = good.split('$');
    const malformed = [
      '',
      'plain-text-password',
      'bcrypt$10$8$1$x$y',
      `scrypt$10$8$1$${salt}`,
      `scrypt$10$8$1$${salt}$${key}$extra`,
      `scrypt$x$8$1$${salt}$${key}`,
      `scrypt$9$8$1$${salt}$${key}`, // below the accepted cost
      `scrypt$30$8$1$${salt}$${key}`, // would need 128 GiB
      `scrypt$10$100000$1$${salt}$${key}`,
      `scrypt$10$8$99$${salt}$${key}`,
      `scrypt$10$8$1$$${key}`, // no salt
      `scrypt$10$8$1$${salt}$${key.slice(0, 20)}`, // truncated key
      `scrypt$10$8$1$${salt}$`,
    ];
    for (const stored of malformed) {
      await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(false);
    }
  });

  it('refuses a hash whose key differs in its last byte only', async () => {
    const good = await hashPassword('correct horse battery', CHEAP);
    const parts = good.split('$');
    const key = Buffer.from(parts[5], 'base64url');
    key[key.length - 1] ^= 1;
    parts[5] = key.toString('base64url');
    await expect(verifyPassword('correct horse battery', parts.join('$'))).resolves.toBe(false);
  });

  it('compares keys with crypto.timingSafeEqual (no early exit on the first differing byte)', async () => {
    const hash = await hashPassword('correct horse battery', CHEAP);
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      await verifyPassword('wrong password!', hash);
      await verifyPassword('correct horse battery', hash);
      expect(spy).toHaveBeenCalledTimes(2);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('spends the full scrypt cost on a wrong password as on a right one', async () => {
    const hash = await hashPassword('correct horse battery');
    const time = async (password: string) => {
      const started = process.hrtime.bigint();
      await verifyPassword(password, hash);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const right = await time('correct horse battery');
    const wrong = await time('x');
    // Both run the whole key derivation (tens of ms); a short-circuit would be well under 1 ms.
    expect(wrong).toBeGreaterThan(right / 4);
    expect(wrong).toBeGreaterThan(10);
  });
});

describe('needsRehash', () => {
  it('asks for an upgrade when the stored parameters differ from the current ones', async () => {
    const old = await hashPassword('correct horse battery', CHEAP);
    expect(needsRehash(old, DEFAULT_HASH_PARAMS)).toBe(true);
    expect(needsRehash(old, CHEAP)).toBe(false);
    expect(needsRehash('garbage', DEFAULT_HASH_PARAMS)).toBe(false);
  });
});
