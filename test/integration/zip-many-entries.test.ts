import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { planZip, streamZip, type ZipEntry } from '../../src/features/archives/zip-writer';
import { pythonZipEntries, pythonZipTest, unzipTest } from '../helpers/zip-readers';

// Past 65,535 entries the entry count no longer fits the end record: zip64 end records are required.
const COUNT = 70_000;
const content = (i: number) => Buffer.from(`entry ${i}\n`);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let work: string;
beforeAll(async () => (work = await mkdtemp(join(tmpdir(), 'depot-zip-many-'))));
afterAll(() => rm(work, { recursive: true, force: true }));

describe('a streamed zip of 70,000 tiny entries', () => {
  it('has zip64 end records, passes unzip -t and python, and holds every entry byte for byte', async () => {
    const entries: ZipEntry[] = Array.from({ length: COUNT }, (_, i) => ({
      path: `batch-${Math.floor(i / 1000)}/file-${i}.txt`,
      size: content(i).length,
      mtime: new Date('2025-01-01T00:00:00Z'),
      open: async () => Readable.from([content(i)]),
    }));
    const plan = planZip(entries);
    const file = join(work, 'many.zip');
    await pipeline(streamZip(plan), createWriteStream(file));
    expect((await stat(file)).size).toBe(plan.length);

    await unzipTest(file);
    await pythonZipTest(file);
    const { entries: read, zip64End } = await pythonZipEntries(file);
    expect(zip64End).toBe(true);
    expect(read).toHaveLength(COUNT);
    read.forEach((entry, i) => {
      expect(entry.name).toBe(`batch-${Math.floor(i / 1000)}/file-${i}.txt`);
      expect(entry.sha256).toBe(sha256(content(i)));
    });
  }, 180_000);
});
