import { Readable } from 'node:stream';
import { zipLayoutLength } from '../../../../src/features/archives/zip-length';
import { planZip, streamZip, type ZipOptions } from '../../../../src/features/archives/zip-writer';

const mtime = new Date('2026-01-02T03:04:05Z');

/** Bytes yazl really writes for entries of these names and sizes. */
async function writtenLength(files: { path: string; size: number }[], options?: ZipOptions) {
  const entries = files.map(({ path, size }) => ({
    path,
    size,
    mtime,
    open: async () => Readable.from([Buffer.alloc(size, 7)]),
  }));
  const plan = planZip(entries, options);
  let written = 0;
  for await (const chunk of streamZip(plan)) written += (chunk as Buffer).length;
  return { planned: plan.length, written };
}

const files = (n: number, size = 1) =>
  Array.from({ length: n }, (_, i) => ({ path: `f-${i}.txt`, size }));

describe('zip length, computed before any byte', () => {
  it.each([
    ['an empty archive', []],
    ['one empty file', [{ path: 'empty', size: 0 }]],
    ['UTF-8 names (2, 3 and 4 bytes a character)', [{ path: 'é/中文/📄.txt', size: 3 }]],
    [
      'renamed collisions',
      [
        { path: 'a.txt', size: 2 },
        { path: 'A.TXT', size: 2 },
      ],
    ],
    [
      'a few files of several sizes',
      [1, 1000, 65536, 300000].map((size, i) => ({ path: `${i}`, size })),
    ],
  ])('equals the bytes written for %s', async (_, list) => {
    const { planned, written } = await writtenLength(list);
    expect(written).toBe(planned);
  });

  // yazl's own estimate adds the zip64 end records here (central directory over 64 KiB) and is 76 bytes long.
  it('equals the bytes written when the central directory is over 64 KiB', async () => {
    const { planned, written } = await writtenLength(files(1200));
    expect(written).toBe(planned);
    expect(planned).toBe(
      zipLayoutLength(files(1200).map(({ path, size }) => ({ nameBytes: path.length, size }))),
    );
  });

  it('equals the bytes written with zip64 records forced on every entry and at the end', async () => {
    const { planned, written } = await writtenLength(files(3, 10), { forceZip64: true });
    expect(written).toBe(planned);
    const plain = await writtenLength(files(3, 10));
    expect(planned - plain.planned).toBe(3 * (8 + 28) + 76);
  });
});

describe('zipLayoutLength', () => {
  const entry = (size: number) => ({ nameBytes: 1, size });

  it('counts a local header, the data and a data descriptor per entry, a central record each and the end', () => {
    expect(zipLayoutLength([])).toBe(22);
    expect(zipLayoutLength([entry(5)])).toBe(30 + 1 + 5 + 16 + (46 + 1 + 9) + 22);
  });

  it('makes an entry over 4 GiB - 2 bytes zip64 (8 more bytes of descriptor, a 28-byte zip64 extra)', () => {
    const limit = 0xfffffffe;
    expect(zipLayoutLength([entry(limit + 1)]) - zipLayoutLength([entry(limit)])).toBe(1 + 8 + 28);
  });

  it('adds the zip64 end records (76 bytes) once the central directory starts past 4 GiB - 2 bytes', () => {
    const fits = 0xfffffffe - 30 - 1 - 16;
    expect(zipLayoutLength([entry(fits + 1)]) - zipLayoutLength([entry(fits)])).toBe(1 + 76);
  });

  it('makes an entry whose local header starts past 4 GiB zip64', () => {
    const first = entry(0xfffffffe - 30 - 1 - 16 + 1);
    const small = zipLayoutLength([entry(0), entry(1)]) - zipLayoutLength([entry(0)]);
    expect(zipLayoutLength([first, entry(1)]) - zipLayoutLength([first])).toBe(small + 8 + 28);
  });

  it('adds the zip64 end records from 65,535 entries on', () => {
    const many = (n: number) => Array.from({ length: n }, () => entry(0));
    const perEntry = zipLayoutLength(many(2)) - zipLayoutLength(many(1));
    expect(zipLayoutLength(many(65534)) - zipLayoutLength(many(65533))).toBe(perEntry);
    expect(zipLayoutLength(many(65535)) - zipLayoutLength(many(65534))).toBe(perEntry + 76);
  });
});
