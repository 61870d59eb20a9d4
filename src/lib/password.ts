import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ServiceUnavailable } from '../errors';
import { createConcurrencyGate, GateBusy } from './concurrency-gate';

/** scrypt cost parameters (N = 2^logN); stored with each hash so they can be raised later. */
export interface PasswordHashParams {
  logN: number;
  r: number;
  p: number;
}

/**
 * N=2^15, r=8, p=3: OWASP's scrypt equivalent of 2^17/8/1 at a quarter of the memory (32 MiB per hash),
 * so libuv's 4 hashing threads cap sign-in memory at 128 MiB; about 220 ms per hash on one core.
 */
export const DEFAULT_HASH_PARAMS: PasswordHashParams = { logN: 15, r: 8, p: 3 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// Bounds for parameters read back from the database: a corrupt row must not make us allocate gigabytes.
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;

/**
 * How many scrypt hashes run at once, how many more may wait, and for how long. Two at once leave two of
 * libuv's four pool threads (and, on a 2-core machine, a core) to file I/O and the event loop, so a burst
 * of sign-ins can never starve page views; eight waiting (about a second of work at 220 ms each) bound
 * the queue; past it the request answers 503 with Retry-After at once instead of queueing.
 */
export const HASHING = { atOnce: 2, waiting: 8, waitMs: 3000, retryAfterSeconds: 2 } as const;
const hashing = createConcurrencyGate({
  limit: HASHING.atOnce,
  queueLimit: HASHING.waiting,
  waitMs: HASHING.waitMs,
});

/** The 503 a password check answers while too many others are being hashed. */
export class HashingBusy extends ServiceUnavailable {
  constructor() {
    super('Depot is busy checking other passwords right now.', HASHING.retryAfterSeconds);
  }
}

/** Every scrypt derivation (sign-in, registration, share passwords) takes its turn through the gate. */
async function derive(password: string, salt: Buffer, params: PasswordHashParams): Promise<Buffer> {
  try {
    return await hashing.run(() => scryptKey(password, salt, params));
  } catch (err) {
    if (err instanceof GateBusy) throw new HashingBusy();
    throw err;
  }
}

function scryptKey(password: string, salt: Buffer, params: PasswordHashParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Hashes a password as `scrypt$logN$r$p$salt$key` (base64url), so parameters can change later. */
export async function hashPassword(
  password: string,
  params: PasswordHashParams = DEFAULT_HASH_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return [
    'scrypt',
    params.logN,
    params.r,
    params.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

interface ParsedHash {
  params: PasswordHashParams;
  salt: Buffer;
  key: Buffer;
}

function inRange(value: number, [min, max]: readonly [number, number]): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function parseHash(stored: unknown): ParsedHash | null {
  if (typeof stored !== 'string') return null;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [logN, r, p] = parts
    .slice(1, 4)
    .map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  if (!inRange(logN, LIMITS.logN) || !inRange(r, LIMITS.r) || !inRange(p, LIMITS.p)) return null;
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  if (salt.length < SALT_BYTES || key.length !== KEY_BYTES) return null;
  return { params: { logN, r, p }, salt, key };
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches and never throws. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const actual = await derive(String(password), parsed.salt, parsed.params);
  return timingSafeEqual(parsed.key, actual);
}

/** True when `stored` was made with other parameters than `params` (upgrade it at the next sign-in). */
export function needsRehash(
  stored: string,
  params: PasswordHashParams = DEFAULT_HASH_PARAMS,
): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { logN, r, p } = parsed.params;
  return logN !== params.logN || r !== params.r || p !== params.p;
}
