import { randomBytes } from 'node:crypto';
import { ERRORS } from '@tus/utils';
import { Redis } from 'ioredis';
import { RedisLocker } from '../../src/features/uploads/redis-locker';

const describeWithRedis = process.env.TEST_REDIS_URL ? describe : describe.skip;

describeWithRedis('RedisLocker (shared by app instances)', () => {
  const prefix = `depot-test:${randomBytes(6).toString('hex')}:`;
  let redis: Redis;
  let instanceA: RedisLocker;
  let instanceB: RedisLocker;

  beforeAll(() => {
    redis = new Redis(process.env.TEST_REDIS_URL as string, { keyPrefix: prefix });
    instanceA = new RedisLocker(redis, { acquireTimeoutMs: 300, ttlMs: 2_000 });
    instanceB = new RedisLocker(redis, { acquireTimeoutMs: 300, ttlMs: 2_000 });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((key) => key.slice(prefix.length)));
    redis.disconnect();
  });

  const signal = () => new AbortController().signal;

  it('makes another instance wait, then time out, while the lock is held; frees it on unlock', async () => {
    const held = instanceA.newLock('upload-1');
    await held.lock(signal(), () => undefined);
    expect(await redis.get('tus-lock:upload-1')).toMatch(/^[0-9a-f]{32}$/);
    await expect(instanceB.newLock('upload-1').lock(signal(), () => undefined)).rejects.toBe(
      ERRORS.ERR_LOCK_TIMEOUT,
    );
    await held.unlock();
    expect(await redis.get('tus-lock:upload-1')).toBeNull();
    const next = instanceB.newLock('upload-1');
    await next.lock(signal(), () => undefined);
    await next.unlock();
  });

  it('asks a holder on the same instance to let go, and never releases a lock it no longer owns', async () => {
    const first = instanceA.newLock('upload-2');
    let asked = 0;
    await first.lock(signal(), () => {
      asked += 1;
      void first.unlock();
    });
    const second = instanceA.newLock('upload-2');
    await second.lock(signal(), () => undefined);
    expect(asked).toBe(1);
    const token = await redis.get('tus-lock:upload-2');
    // The first holder's late unlock must not free the second holder's lock.
    await first.unlock();
    expect(await redis.get('tus-lock:upload-2')).toBe(token);
    await second.unlock();
    expect(await redis.get('tus-lock:upload-2')).toBeNull();
  });

  it("frees a crashed holder's lock after its time to live", async () => {
    await redis.set('tus-lock:upload-3', 'crashed-instance', 'PX', 80);
    const lock = instanceB.newLock('upload-3');
    await lock.lock(signal(), () => undefined);
    await lock.unlock();
  });
});
