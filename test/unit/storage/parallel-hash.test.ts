import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ParallelSha256 } from '../../../src/storage/parallel-hash';

const reference = (chunks: Buffer[]) => {
  const hash = createHash('sha256');
  chunks.forEach((chunk) => hash.update(chunk));
  return hash.digest('hex');
};

/** Feeds chunks the way a Transform does: the next only after `ready`. */
async function feed(job: ReturnType<ParallelSha256['start']>, chunks: Buffer[]) {
  for (const chunk of chunks) await new Promise<void>((ready) => job.update(chunk, ready));
}

describe('ParallelSha256', () => {
  const hasher = new ParallelSha256();
  afterAll(() => hasher.close());

  it('gives the same digest as node:crypto for empty, small, odd-sized and multi-megabyte input', async () => {
    const inputs = [
      [],
      [Buffer.from('hello')],
      [randomBytes(1), randomBytes(65_537), randomBytes(3)],
      Array.from({ length: 40 }, () => randomBytes(250_000)),
    ];
    for (const chunks of inputs) {
      const job = hasher.start();
      await feed(job, chunks);
      await expect(job.digest()).resolves.toBe(reference(chunks));
    }
  });

  it('keeps concurrent jobs apart', async () => {
    const sets = Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: 5 + i }, () => randomBytes(300_000 + i)),
    );
    const digests = await Promise.all(
      sets.map(async (chunks) => {
        const job = hasher.start();
        await feed(job, chunks);
        return job.digest();
      }),
    );
    expect(digests).toEqual(sets.map(reference));
  });

  it('forgets an aborted job and keeps working', async () => {
    const aborted = hasher.start();
    await feed(aborted, [randomBytes(2_000_000)]);
    aborted.abort();
    const job = hasher.start();
    await feed(job, [Buffer.from('after')]);
    await expect(job.digest()).resolves.toBe(reference([Buffer.from('after')]));
  });

  it('fails a job whose thread died instead of returning a digest of partial data', async () => {
    const job = hasher.start();
    await feed(job, [randomBytes(10)]);
    await hasher.close();
    await expect(job.digest()).rejects.toThrow(/hashing thread stopped/);
    const next = hasher.start();
    await feed(next, [Buffer.from('fresh thread')]);
    await expect(next.digest()).resolves.toBe(reference([Buffer.from('fresh thread')]));
  });

  describe('updateFromFile', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parallel-hash-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const fromFile = (
      job: ReturnType<ParallelSha256['start']>,
      file: string,
      position: number,
      length: number,
    ) => new Promise<void>((ready) => job.updateFromFile(file, position, length, ready));

    it('hashes ranges read back from a file, in order with bytes given to update()', async () => {
      const data = randomBytes(3_500_000);
      const file = path.join(dir, 'ranges');
      fs.writeFileSync(file, data);
      const job = hasher.start();
      await feed(job, [Buffer.from('head')]);
      await fromFile(job, file, 0, 1_000_001);
      await fromFile(job, file, 1_000_001, 0);
      await fromFile(job, file, 1_000_001, data.length - 1_000_001);
      await expect(job.digest()).resolves.toBe(reference([Buffer.from('head'), data]));
    });

    it('fails the digest when the range cannot be read, instead of hashing less', async () => {
      const file = path.join(dir, 'short');
      fs.writeFileSync(file, randomBytes(10));
      const short = hasher.start();
      await fromFile(short, file, 0, 20);
      await expect(short.digest()).rejects.toThrow(/shorter/);
      const missing = hasher.start();
      await fromFile(missing, path.join(dir, 'missing'), 0, 5);
      await expect(missing.digest()).rejects.toThrow(/ENOENT/);
      const next = hasher.start();
      await feed(next, [Buffer.from('still works')]);
      await expect(next.digest()).resolves.toBe(reference([Buffer.from('still works')]));
    });
  });
});
