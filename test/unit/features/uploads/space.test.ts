import { InsufficientStorage } from '../../../../src/errors';
import { createSpaceGuard } from '../../../../src/features/uploads/space';

const MiB = 1024 * 1024;

function guard(free: number, promised: number) {
  return createSpaceGuard({
    freeBytes: async () => free,
    uploads: { promisedBytes: async () => promised },
    partials: { usage: async () => ({ count: 2, bytes: 3 * MiB }) },
  });
}

describe('the upload space guard', () => {
  it('lets an upload in that fits beside what unfinished uploads may still send', async () => {
    await expect(guard(10 * MiB, 4 * MiB).assertRoomFor(6 * MiB)).resolves.toBeUndefined();
  });

  it('answers 507 naming the size when it does not, even though the free space alone would hold it', async () => {
    const refusal = guard(10 * MiB, 4 * MiB).assertRoomFor(6 * MiB + 1);
    await expect(refusal).rejects.toBeInstanceOf(InsufficientStorage);
    await expect(refusal).rejects.toThrow(/no storage space left for an upload of 6 MiB/);
  });

  it('refuses even a body of unknown length once the promises exceed the free space', async () => {
    await expect(guard(MiB, 2 * MiB).assertRoomFor(0)).rejects.toMatchObject({ status: 507 });
  });

  it('reports free, promised and partial bytes for the gauges', async () => {
    await expect(guard(10 * MiB, 4 * MiB).report()).resolves.toEqual({
      freeBytes: 10 * MiB,
      promisedBytes: 4 * MiB,
      partialUploads: 2,
      partialBytes: 3 * MiB,
    });
  });
});
