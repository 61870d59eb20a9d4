import { ConnectionAcquireTimeoutError } from 'sequelize';
import { createWriteQueue, WriteQueueTimeout } from '../../../src/models/sql/write-queue';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createWriteQueue', () => {
  it('runs one piece of work at a time, in arrival order', async () => {
    const queue = createWriteQueue({ maxWaitMs: 1000 });
    const events: string[] = [];
    let running = 0;
    let most = 0;
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        queue.run(async () => {
          running += 1;
          most = Math.max(most, running);
          events.push(`start ${n}`);
          await tick();
          events.push(`end ${n}`);
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(events).toEqual([
      'start 1',
      'end 1',
      'start 2',
      'end 2',
      'start 3',
      'end 3',
      'start 4',
      'end 4',
    ]);
  });

  it('hands the turn on when work fails, and passes the failure to its caller', async () => {
    const queue = createWriteQueue({ maxWaitMs: 1000 });
    const failing = queue.run(async () => {
      throw new Error('constraint failed');
    });
    const after = queue.run(async () => 'ran');
    await expect(failing).rejects.toThrow('constraint failed');
    await expect(after).resolves.toBe('ran');
  });

  it('refuses a caller that waited past the bound without running its work, and keeps serving the rest', async () => {
    const queue = createWriteQueue({ maxWaitMs: 50 });
    const release = await queue.acquire();
    const work = jest.fn(async () => 'late');
    const waiting = queue.run(work);
    expect(queue.waiting).toBe(1);
    await expect(waiting).rejects.toBeInstanceOf(WriteQueueTimeout);
    expect(work).not.toHaveBeenCalled();
    expect(queue.waiting).toBe(0);
    release();
    await expect(queue.run(async () => 'next')).resolves.toBe('next');
  });

  it('is a Sequelize acquire timeout, so it answers as "database unavailable"', () => {
    const error = new WriteQueueTimeout(50);
    expect(error.name).toBe('WriteQueueTimeout');
    expect(error.message).toMatch(/waited more than 50 ms/);
    expect(error).toBeInstanceOf(ConnectionAcquireTimeoutError);
  });

  it('releases once however often release is called', async () => {
    const queue = createWriteQueue({ maxWaitMs: 1000 });
    const release = await queue.acquire();
    const second = queue.acquire();
    const third = queue.acquire();
    release();
    release();
    const releaseSecond = await second;
    let thirdStarted = false;
    void third.then(() => (thirdStarted = true));
    await tick();
    expect(thirdStarted).toBe(false);
    releaseSecond();
    (await third)();
  });
});
