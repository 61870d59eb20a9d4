import { TooManyRequests } from '../../errors';
import type { AttemptLimiter } from './rate-limit';

/**
 * Spends one attempt of `key`: null when it may go ahead, or the seconds to wait (the Retry-After) when
 * the budget is spent, so a page can show its form again with a 429 instead of a bare error page.
 */
export async function attemptOrWait(limiter: AttemptLimiter, key: string): Promise<number | null> {
  try {
    await limiter.attempt(key);
    return null;
  } catch (err) {
    if (!(err instanceof TooManyRequests)) throw err;
    return Number(err.headers?.['Retry-After']) || 1;
  }
}
