import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';

/** Deletes the key only if it still holds our token (a lock that expired and was taken is not ours). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Extends the key's lifetime only while it holds our token. */
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** Tuning of the Redis lock. */
export interface RedisLockerOptions {
  keyPrefix?: string;
  /** Lifetime of the key; a crashed holder's lock frees itself after this. Renewed while held. */
  ttlMs?: number;
  /** How long a request waits for the lock before giving up (then 423). */
  acquireTimeoutMs?: number;
}

/**
 * A tus Locker shared by every app instance: SET key token NX PX, renewed while held, released with a
 * compare-and-delete. A waiter on the same instance asks the holder to let go (tus's requestRelease), so a
 * client resuming after a dropped connection is not blocked by its own half-open PATCH.
 */
export class RedisLocker implements Locker {
  readonly holders = new Map<string, RequestRelease>();
  readonly keyPrefix: string;
  readonly ttlMs: number;
  readonly acquireTimeoutMs: number;

  constructor(
    readonly redis: Redis,
    options: RedisLockerOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'tus-lock:';
    this.ttlMs = options.ttlMs ?? 30_000;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 10_000;
  }

  newLock(id: string): Lock {
    return new RedisLock(this, id);
  }
}

class RedisLock implements Lock {
  private readonly key: string;
  private readonly token = randomBytes(16).toString('hex');
  private renewal: NodeJS.Timeout | null = null;

  constructor(
    private readonly locker: RedisLocker,
    private readonly id: string,
  ) {
    this.key = `${locker.keyPrefix}${id}`;
  }

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const deadline = Date.now() + this.locker.acquireTimeoutMs;
    let delay = 20;
    let askedHolder = false;
    while (!signal.aborted && Date.now() < deadline) {
      const ok = await this.locker.redis
        .set(this.key, this.token, 'PX', this.locker.ttlMs, 'NX')
        .catch((err: unknown) => {
          // A SET that timed out on a frozen Redis still runs when it resumes: the delete queued behind
          // it takes back that lock, which nobody would hold for its whole TTL otherwise.
          void this.locker.redis.eval(RELEASE, 1, this.key, this.token).catch(() => undefined);
          throw err;
        });
      if (ok === 'OK') {
        this.locker.holders.set(this.id, requestRelease);
        this.renewal = setInterval(() => void this.extend(), this.locker.ttlMs / 3);
        this.renewal.unref();
        return;
      }
      const holder = this.locker.holders.get(this.id);
      if (holder && !askedHolder) {
        askedHolder = true;
        await holder();
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 250);
    }
    throw ERRORS.ERR_LOCK_TIMEOUT;
  }

  async unlock(): Promise<void> {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
    this.locker.holders.delete(this.id);
    await this.locker.redis.eval(RELEASE, 1, this.key, this.token);
  }

  private async extend(): Promise<void> {
    await this.locker.redis
      .eval(EXTEND, 1, this.key, this.token, String(this.locker.ttlMs))
      .catch(() => undefined); // a missed renewal only shortens the lock; the next one retries
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
