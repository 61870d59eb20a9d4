import type { Logger } from '../../logger';
import type { Storage } from '../../storage/types';

/** Removes stored content that no row points at any more, retrying in the background when the disk refuses. */
export interface ContentCleanup {
  /** Tries once now; on failure logs and schedules retries with backoff (never throws). */
  remove(key: string): Promise<void>;
  /** Resolves when no retry is pending (tests and shutdown). */
  idle(): Promise<void>;
  /** Cancels pending retries (the start-up sweep finds whatever they would have removed). */
  stop(): void;
}

/** Retry delays after a failed removal; after the last one the start-up sweep is the safety net. */
const RETRY_DELAYS_MS = [200, 1_000, 5_000, 30_000, 120_000];

/** Builds the cleanup over one storage. */
export function createContentCleanup(
  storage: Pick<Storage, 'remove'>,
  logger: Logger,
  delays: number[] = RETRY_DELAYS_MS,
): ContentCleanup {
  const timers = new Set<NodeJS.Timeout>();
  const waiters: (() => void)[] = [];

  function settle() {
    if (timers.size === 0) waiters.splice(0).forEach((resolve) => resolve());
  }

  async function attempt(key: string, retry: number): Promise<void> {
    try {
      await storage.remove(key);
    } catch (err) {
      const delay = delays[retry];
      logger.error(
        { err, storageKey: key, retry, willRetry: delay !== undefined },
        'file content could not be removed',
      );
      if (delay === undefined) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void attempt(key, retry + 1).finally(settle);
      }, delay);
      // Retries must never keep a stopping process alive.
      timer.unref();
      timers.add(timer);
    }
  }

  return {
    remove: (key) => attempt(key, 0),
    idle() {
      if (timers.size === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    stop() {
      timers.forEach((timer) => clearTimeout(timer));
      timers.clear();
      settle();
    },
  };
}
