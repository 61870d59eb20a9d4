import { once } from 'node:events';
import { Readable } from 'node:stream';
import {
  planZip,
  streamZip,
  zipLength,
  type ZipEntry,
} from '../../../../src/features/archives/zip-writer';

const mtime = new Date('2026-01-02T03:04:05Z');
const drain = async (stream: Readable) => Buffer.concat((await stream.toArray()) as Buffer[]);
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Entries whose opening and closing are recorded, to see how many sources are open at once. */
function recordedEntries(sizes: number[]) {
  const log: string[] = [];
  let open = 0;
  let maxOpen = 0;
  const entries: ZipEntry[] = sizes.map((size, i) => ({
    path: `f${i}.bin`,
    size,
    mtime,
    open: async () => {
      log.push(`open ${i}`);
      maxOpen = Math.max(maxOpen, ++open);
      const source = Readable.from([Buffer.alloc(size, i)]);
      source.once('close', () => (open--, log.push(`close ${i}`)));
      return source;
    },
  }));
  return { entries, log, maxOpen: () => maxOpen };
}

/** A source that never ends by itself (one chunk per read), to leave mid-entry. */
function endless() {
  return new Readable({
    read() {
      this.push(Buffer.alloc(16 * 1024, 1));
    },
  });
}

describe('streamZip', () => {
  it('opens the sources one at a time, in order, each after the previous one closed', async () => {
    const { entries, log, maxOpen } = recordedEntries([10, 0, 70000, 3]);
    await drain(streamZip(planZip(entries)));
    expect(maxOpen()).toBe(1);
    expect(log).toEqual([
      'open 0',
      'close 0',
      'open 1',
      'close 1',
      'open 2',
      'close 2',
      'open 3',
      'close 3',
    ]);
  });

  it('writes exactly the planned length, which zipLength also gives without the sources', async () => {
    const { entries } = recordedEntries([10, 0, 70000, 3]);
    const plan = planZip(entries);
    expect((await drain(streamZip(plan))).length).toBe(plan.length);
    expect(zipLength(entries)).toBe(plan.length);
  });

  it('sets the UTF-8 flag (bit 11) and store mode in every local header', async () => {
    const entries = ['é.txt', 'plain.txt'].map((path) => ({
      path,
      size: 1,
      mtime,
      open: async () => Readable.from([Buffer.from('x')]),
    }));
    const zip = await drain(streamZip(planZip(entries)));
    const first = zip.readUInt16LE(6);
    const secondAt = 30 + Buffer.byteLength('é.txt') + 1 + 16;
    expect(zip.readUInt32LE(secondAt)).toBe(0x04034b50);
    for (const at of [0, secondAt]) {
      expect(zip.readUInt16LE(at + 6) & 0x800).toBe(0x800);
      expect(zip.readUInt16LE(at + 8)).toBe(0); // stored
    }
    expect(first & 0x800).toBe(0x800);
  });

  it('destroys the open source and opens no other entry when the consumer goes away mid-entry', async () => {
    const opened: Readable[] = [];
    const entries: ZipEntry[] = [0, 1, 2].map((i) => ({
      path: `big${i}`,
      size: 1024 ** 3,
      mtime,
      open: async () => (opened.push(endless()), opened[opened.length - 1]),
    }));
    const output = streamZip(planZip(entries));
    let received = 0;
    output.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > 256 * 1024) output.destroy();
    });
    await once(output, 'close');
    await turns();
    expect(opened).toHaveLength(1);
    expect(opened[0].destroyed).toBe(true);
  });

  it('destroys a source that arrives after the consumer left, and opens nothing after it', async () => {
    let release: (source: Readable) => void = () => undefined;
    const late = new Promise<Readable>((resolve) => (release = resolve));
    const calls: number[] = [];
    const entries: ZipEntry[] = [0, 1].map((i) => ({
      path: `f${i}`,
      size: 5,
      mtime,
      open: () => (calls.push(i), late),
    }));
    const output = streamZip(planZip(entries));
    output.resume();
    await turns();
    output.destroy();
    const source = Readable.from([Buffer.from('hello')]);
    release(source);
    await turns();
    expect(source.destroyed).toBe(true);
    expect(calls).toEqual([0]);
  });

  it('ends with the error when a source cannot be opened', async () => {
    const entries: ZipEntry[] = [
      { path: 'gone', size: 1, mtime, open: () => Promise.reject(new Error('ENOENT: gone')) },
    ];
    await expect(drain(streamZip(planZip(entries)))).rejects.toThrow('ENOENT: gone');
  });

  it('ends with the error when a source fails while streaming', async () => {
    const failing = () =>
      new Readable({
        read() {
          this.destroy(new Error('EIO: read failed'));
        },
      });
    const entries: ZipEntry[] = [{ path: 'bad', size: 10, mtime, open: async () => failing() }];
    await expect(drain(streamZip(planZip(entries)))).rejects.toThrow('EIO: read failed');
  });

  it('ends with an error when a source is shorter than its size (the length would be wrong)', async () => {
    const entries: ZipEntry[] = [
      { path: 'short', size: 10, mtime, open: async () => Readable.from([Buffer.from('abc')]) },
    ];
    await expect(drain(streamZip(planZip(entries)))).rejects.toThrow(/unexpected number of bytes/);
  });
});

describe('planZip', () => {
  it('gives each entry its safe, unique name in order', () => {
    const entries = ['a.txt', 'A.txt', '/abs/../b'].map((path) => ({
      path,
      size: 1,
      mtime,
      open: async () => Readable.from([]),
    }));
    expect(planZip(entries).entries.map((planned) => planned.name)).toEqual([
      'a.txt',
      'A (2).txt',
      'abs/b',
    ]);
  });

  it('refuses a size that is not a non-negative integer', () => {
    for (const size of [-1, 1.5, Number.NaN, 2 ** 53])
      expect(() => zipLength([{ path: 'x', size }])).toThrow(RangeError);
  });
});
