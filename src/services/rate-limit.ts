import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { TooManyRequests } from '../errors';

export const FAILED_ATTEMPTS_ALLOWED = 10;
export const FAILED_ATTEMPTS_WINDOW_SECONDS = 15 * 60;

/** Counts attempts per key (IP + username) and refuses further attempts once the budget is spent. */
export interface AttemptLimiter {
  /**
   * Spends one attempt atomically before the credentials are checked (so parallel guesses cannot all slip
   * through a read-then-write gap); throws TooManyRequests (with Retry-After) when none is left.
   * Call reset(key) after a success, so only failures stay counted.
   */
  attempt(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

function refusal(res: RateLimiterRes): TooManyRequests {
  return new TooManyRequests(res.msBeforeNext / 1000);
}

/** Counters in Redis when given (shared by every app instance), otherwise in this process's memory. */
export function createAttemptLimiter(options: {
  redis: Redis | null;
  keyPrefix: string;
}): AttemptLimiter {
  const settings = {
    points: FAILED_ATTEMPTS_ALLOWED,
    duration: FAILED_ATTEMPTS_WINDOW_SECONDS,
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
  };
}

/** The key for sign-in attempts: client IP and the (normalized) username tried. */
export function attemptKey(ip: string, username: string): string {
  return `${ip}|${username.trim().toLowerCase().slice(0, 64)}`;
}
