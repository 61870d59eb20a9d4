import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';
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

  it('loads its hashing thread from an esbuild bundle under plain node, as npm run build ships it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parallel-hash-bundle-'));
    try {
      const entry = path.join(dir, 'entry.ts');
      const source = path.resolve(__dirname, '../../../src/storage/parallel-hash');
      fs.writeFileSync(
        entry,
        `import { ParallelSha256 } from ${JSON.stringify(source)};\n` +
          `const job = new ParallelSha256().start();\n` +
          `job.update(Buffer.from('bundled'), () => undefined);\n` +
          // The hashing thread is unref'd (it never keeps a process alive): a timer waits for the digest.
          `const wait = setInterval(() => undefined, 1000);\n` +
          `job.digest().then((hex) => { process.stdout.write(hex); clearInterval(wait); });\n`,
      );
      // The settings of `npm run build` (package.json).
      const outfile = path.join(dir, 'entry.js');
      buildSync({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        target: 'node20',
        packages: 'external',
        outfile,
        logLevel: 'silent',
      });
      const { stdout } = await promisify(execFile)(process.execPath, [outfile]);
      expect(stdout).toBe(reference([Buffer.from('bundled')]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
