import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { planZip, streamZip, type ZipEntry } from '../../src/features/archives/zip-writer';
import { pythonZipEntries, sha256Of, sparseFileSink, unzipTest } from '../helpers/zip-readers';

// One file just over the 4 GiB - 1 limit of a 32-bit size, then a small one whose local header starts past
// 4 GiB: zip64 sizes, a zip64 offset and zip64 end records, with (almost) nothing on disk. The big file is
// sparse (fs truncate) with real bytes at both ends, and the archive is written sparse too: its zero runs
// stay holes, so unzip and python read 4 GiB that the disk does not hold.
// It streams and reads back 4 GiB (yazl's CRC-32 in JavaScript, unzip's and python's CRC, two SHA-256 passes):
// 66-170 s on this 2-core machine (by its load), so it runs by hand with TEST_ZIP64_SPARSE=1; the always-on zip64 check is
// the forced-zip64 archive of zip-archives.test.ts, and the zip64 layout arithmetic is pinned in zip-length.test.ts.
const describeSparse = process.env.TEST_ZIP64_SPARSE
  ? describe
  : (title: string, body: () => void) =>
      describe.skip(`${title} [skipped: set TEST_ZIP64_SPARSE=1 to run, 1-3 minutes]`, body);
const BIG = 2 ** 32 + 1;
const mtime = new Date('2025-03-04T05:06:07Z');

const entry = (path: string, file: string, size: number): ZipEntry => ({
  path,
  size,
  mtime,
  open: async () => createReadStream(file, { highWaterMark: 1 << 20 }),
});

describeSparse('a streamed zip over 4 GiB (sparse files)', () => {
  let work: string;
  let big: string;
  let small: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'depot-zip64-'));
    big = join(work, 'big.bin');
    small = join(work, 'after.txt');
    const handle = await open(big, 'w');
    await handle.truncate(BIG);
    await handle.write(Buffer.from('head of the big file'), 0, 20, 0);
    await handle.write(Buffer.from('tail'), 0, 4, BIG - 4);
    await handle.close();
    await writeFile(small, 'the entry after 4 GiB\n');
  });

  afterAll(() => rm(work, { recursive: true, force: true }));

  it('uses zip64 where needed, is as long as planned, passes unzip -t and python reads each entry', async () => {
    const entries = [
      entry('big.bin', big, BIG),
      entry('docs/after.txt', small, (await stat(small)).size),
    ];
    const plan = planZip(entries);
    expect(plan.length).toBeGreaterThan(BIG);

    const archive = join(work, 'big.zip');
    const sink = await sparseFileSink(archive);
    await pipeline(streamZip(plan), sink);
    expect(sink.bytes).toBe(plan.length);
    const written = await stat(archive);
    expect(written.size).toBe(plan.length);
    expect(written.blocks * 512).toBeLessThan(64 * 1024 * 1024);

    await unzipTest(archive);
    const { entries: read, zip64End } = await pythonZipEntries(archive);
    expect(zip64End).toBe(true);
    expect(read.map(({ name, size, zip64 }) => ({ name, size, zip64 }))).toEqual([
      { name: 'big.bin', size: BIG, zip64: true },
      { name: 'docs/after.txt', size: 22, zip64: true },
    ]);
    expect(read[0].sha256).toBe(await sha256Of(big));
    expect(read[1].sha256).toBe(await sha256Of(small));
  }, 300_000);
});
