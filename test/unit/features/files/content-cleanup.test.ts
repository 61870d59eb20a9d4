import pino from 'pino';
import { createContentCleanup } from '../../../../src/features/files/content-cleanup';

const silent = pino({ level: 'silent' });

describe('content cleanup', () => {
  it('removes at once when the storage cooperates', async () => {
    const removed: string[] = [];
    const cleanup = createContentCleanup(
      { remove: async (key) => void removed.push(key) },
      silent,
      [5],
    );
    await cleanup.remove('k1');
    expect(removed).toEqual(['k1']);
    await cleanup.idle();
  });

  it('retries with backoff after a failure and never throws', async () => {
    let attempts = 0;
    const cleanup = createContentCleanup(
      {
        remove: async () => {
          attempts += 1;
          if (attempts < 3) throw new Error('EBUSY');
        },
      },
      silent,
      [5, 10, 20],
    );
    await expect(cleanup.remove('k2')).resolves.toBeUndefined();
    await cleanup.idle();
    expect(attempts).toBe(3);
  });

  it('gives up after the last delay (the start-up sweep takes over) and stop() cancels retries', async () => {
    let attempts = 0;
    const alwaysFails = {
      remove: async () => {
        attempts += 1;
        throw new Error('EIO');
      },
    };
    const cleanup = createContentCleanup(alwaysFails, silent, [1, 1]);
    await cleanup.remove('k3');
    await cleanup.idle();
    expect(attempts).toBe(3);
    const stopped = createContentCleanup(alwaysFails, silent, [10_000]);
    await stopped.remove('k4');
    stopped.stop();
    await stopped.idle();
    expect(attempts).toBe(4);
  });
});
