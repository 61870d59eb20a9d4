import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { TooManyRequests } from '../../errors';

export const FAILED_ATTEMPTS_ALLOWED = 10;
const FAILED_ATTEMPTS_WINDOW_SECONDS = 15 * 60;
/**
 * Failed sign-ins from one address across all user names, per FAILED_ATTEMPTS_WINDOW_SECONDS: three
 * names' worth of the per-name budget, which a household or office behind one address never reaches
 * by mistyping, while a guesser gets 30 tries per 15 minutes instead of 10 for every name it knows.
 */
export const ADDRESS_FAILURES_ALLOWED = 30;
/** Registration attempts (taken or not) per address and hour: the "username is taken" oracle stays slow. */
export const REGISTRATIONS_ALLOWED = 10;
export const REGISTRATION_WINDOW_SECONDS = 60 * 60;

/** Counts attempts per key (IP + username) and refuses further attempts once the budget is spent. */
export interface AttemptLimiter {
  /**
   * Spends one attempt atomically before the credentials are checked (so parallel guesses cannot all slip
   * through a read-then-write gap); throws TooManyRequests (with Retry-After) when none is left.
   * Call reset(key) after a success, so only failures stay counted.
   */
  attempt(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** Gives back the one attempt spent on `key` (a success, or an attempt refused for another reason). */
  refund(key: string): Promise<void>;
}

function refusal(res: RateLimiterRes): TooManyRequests {
  return new TooManyRequests(res.msBeforeNext / 1000);
}

/** Counters in Redis when given (shared by every app instance), otherwise in this process's memory. */
export function createAttemptLimiter(options: {
  redis: Redis | null;
  keyPrefix: string;
  /** Attempts per window; FAILED_ATTEMPTS_ALLOWED and FAILED_ATTEMPTS_WINDOW_SECONDS by default. */
  points?: number;
  windowSeconds?: number;
}): AttemptLimiter {
  const settings = {
    points: options.points ?? FAILED_ATTEMPTS_ALLOWED,
    duration: options.windowSeconds ?? FAILED_ATTEMPTS_WINDOW_SECONDS,
    keyPrefix: options.keyPrefix,
  };
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({ ...settings, storeClient: options.redis })
    : new RateLimiterMemory(settings);

  return {
    async attempt(key) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        // A RateLimiterRes rejection means "over budget"; anything else (Redis down) is a real failure.
        if (rejection instanceof RateLimiterRes) throw refusal(rejection);
        throw rejection;
      }
    },
    async reset(key) {
      await limiter.delete(key);
    },
    async refund(key) {
      await limiter.reward(key, 1);
    },
  };
}

/** The key for sign-in attempts: client IP and the (normalized) username tried. */
function attemptKey(ip: string, username: string): string {
  return `${ip}|${username.trim().toLowerCase().slice(0, 64)}`;
}

/** The two budgets a sign-in spends: per address and user name, and per address across all names. */
export interface SignInLimits {
  byName: AttemptLimiter;
  byAddress: AttemptLimiter;
}

/** Which budget refused a sign-in, and the seconds until it may be tried again. */
export type SignInRefusal = { scope: 'name' | 'address'; retryAfter: number };

const retryAfterOf = (err: TooManyRequests) => Number(err.headers?.['Retry-After']) || 1;

/**
 * Spends one attempt of both budgets before the password is checked (parallel guesses are counted
 * too): null when it may go ahead, otherwise the refusal. A refused attempt spends nothing.
 */
export async function spendSignInAttempt(
  limits: SignInLimits,
  ip: string,
  username: string,
): Promise<SignInRefusal | null> {
  try {
    await limits.byAddress.attempt(ip);
  } catch (err) {
    if (err instanceof TooManyRequests) return { scope: 'address', retryAfter: retryAfterOf(err) };
    throw err;
  }
  try {
    await limits.byName.attempt(attemptKey(ip, username));
    return null;
  } catch (err) {
    await limits.byAddress.refund(ip);
    if (err instanceof TooManyRequests) return { scope: 'name', retryAfter: retryAfterOf(err) };
    throw err;
  }
}

/** After a right password: the name's failures are forgotten, and this attempt is not one of the address's. */
export async function signInSucceeded(
  limits: SignInLimits,
  ip: string,
  username: string,
): Promise<void> {
  await limits.byName.reset(attemptKey(ip, username));
  await limits.byAddress.refund(ip);
}

/** An attempt whose password was never checked (hashing was busy, 503) gives both attempts back. */
export async function signInNotChecked(
  limits: SignInLimits,
  ip: string,
  username: string,
): Promise<void> {
  await limits.byName.refund(attemptKey(ip, username));
  await limits.byAddress.refund(ip);
}
