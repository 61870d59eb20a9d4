/** Thrown when the gate is full or a task waited past its bound: nothing of the task ran. */
export class GateBusy extends Error {
  override name = 'GateBusy';
}

/** Runs tasks at most `limit` at once; a few more wait briefly, the rest are refused at once. */
export interface ConcurrencyGate {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running and waiting right now. */
  load(): { running: number; waiting: number };
}

/**
 * A semaphore with a bounded queue: at most `limit` tasks run, at most `queueLimit` wait, none waits
 * longer than `waitMs`. Refusing is the point: work that would wait longer is better retried later
 * than allowed to pile up behind the running tasks.
 */
export function createConcurrencyGate(options: {
  limit: number;
  queueLimit: number;
  waitMs: number;
}): ConcurrencyGate {
  let running = 0;
  const queue: Array<() => void> = [];

  function release(): void {
    // The slot passes straight to the next waiter, so `running` stays the same.
    const next = queue.shift();
    if (next) next();
    else running -= 1;
  }

  function waitForSlot(): Promise<void> {
    if (queue.length >= options.queueLimit) return Promise.reject(new GateBusy('queue full'));
    return new Promise((resolve, reject) => {
      const admit = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(admit), 1);
        reject(new GateBusy('waited too long'));
      }, options.waitMs);
      timer.unref();
      queue.push(admit);
    });
  }

  return {
    async run(task) {
      if (running < options.limit) running += 1;
      else await waitForSlot();
      try {
        return await task();
      } finally {
        release();
      }
    },
    load: () => ({ running, waiting: queue.length }),
  };
}
