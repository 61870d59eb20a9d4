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

/** Counts failed attempts per key (IP + username) and refuses further attempts once the budget is spent. */
export interface AttemptLimiter {
  /** Throws TooManyRequests (with Retry-After) when the key has no attempts left. */
  assertAllowed(key: string): Promise<void>;
  recordFailure(key: string): Promise<void>;
  reset(key: string): Promise<void>;
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
    async assertAllowed(key) {
      const state = await limiter.get(key);
      if (state && state.consumedPoints >= FAILED_ATTEMPTS_ALLOWED) {
        throw new TooManyRequests(state.msBeforeNext / 1000);
      }
    },
    async recordFailure(key) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        // Over budget: the attempt was already refused by assertAllowed or is the one that spends it.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
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
