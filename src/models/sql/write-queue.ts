import { ConnectionAcquireTimeoutError } from 'sequelize';

/**
 * Thrown to a caller that waited longer than the queue's bound for its turn; nothing of its work ran.
 * A Sequelize acquire timeout, so it is answered like any other "database unavailable" (503).
 */
export class WriteQueueTimeout extends ConnectionAcquireTimeoutError {
  constructor(maxWaitMs: number) {
    super(new Error(`waited more than ${maxWaitMs} ms for the database's write lock`));
    this.name = 'WriteQueueTimeout';
  }
}

/** One piece of work at a time, in arrival order: the one writer of an embedded SQLite database. */
export interface WriteQueue {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Waits for the turn and returns its release (idempotent), for work that does not fit one callback. */
  acquire(): Promise<() => void>;
  /** Callers waiting for their turn (not counting the one holding it). */
  readonly waiting: number;
}

interface Waiter {
  start(): void;
  timer?: NodeJS.Timeout;
}

/** Builds a queue; a caller still waiting after `maxWaitMs` gets a WriteQueueTimeout instead of its turn. */
export function createWriteQueue(options: { maxWaitMs: number }): WriteQueue {
  const waiters: Waiter[] = [];
  let busy = false;

  function handOver(): void {
    const waiter = waiters.shift();
    if (!waiter) {
      busy = false;
      return;
    }
    clearTimeout(waiter.timer);
    waiter.start();
  }

  function acquire(): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start() {
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            handOver();
          });
        },
      };
      if (!busy) {
        busy = true;
        waiter.start();
        return;
      }
      waiter.timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new WriteQueueTimeout(options.maxWaitMs));
      }, options.maxWaitMs);
      waiters.push(waiter);
    });
  }

  return {
    acquire,
    async run(work) {
      const release = await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
    get waiting() {
      return waiters.length;
    },
  };
}
