import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  planZip,
  streamZip,
  type ZipEntry,
  type ZipOptions,
} from '../../src/features/archives/zip-writer';
import {
  pythonZipEntries,
  pythonZipTest,
  sha256Of,
  unzipInto,
  unzipTest,
} from '../helpers/zip-readers';

// Each raw path (as a folder tree or a client might give it) and the name it must have in the archive.
const FILES: [raw: string, name: string, size: number][] = [
  ['report.pdf', 'report.pdf', 1024 * 1024 + 7],
  ['empty.txt', 'empty.txt', 0],
  ['é/café.txt', 'é/café.txt', 300],
  ['中文/文件.txt', '中文/文件.txt', 5000],
  ['emoji 📄🎉.bin', 'emoji 📄🎉.bin', 70000],
  ['Re\u0301sume\u0301.txt', 'R\u00e9sum\u00e9.txt', 10],
  ['dup.txt', 'dup.txt', 1],
  ['DUP.txt', 'DUP (2).txt', 2],
  ['dup.txt', 'dup (3).txt', 3],
  ['../../escape.txt', 'escape.txt', 4],
  ['/etc/passwd', 'etc/passwd', 5],
  ['C:\\Users\\me\\win.txt', 'Users/me/win.txt', 6],
  ['ctrl\u0001\u202Ename.txt', 'ctrlname.txt', 7],
  ['dir/inside.txt', 'dir/inside.txt', 8],
  ['dir', 'dir (2)', 9],
];

let work: string;
const sources = new Map<string, string>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'depot-zip-'));
  for (const [i, [, , size]] of FILES.entries()) {
    const file = join(work, `source-${i}`);
    await writeFile(file, randomBytes(size));
    sources.set(FILES[i][1], file);
  }
});

afterAll(() => rm(work, { recursive: true, force: true }));

const entries = (): ZipEntry[] =>
  FILES.map(([raw, name, size]) => ({
    path: raw,
    size,
    mtime: new Date('2025-06-07T08:09:10Z'),
    open: async () => createReadStream(sources.get(name) as string),
  }));

async function writeArchive(file: string, options?: ZipOptions) {
  const plan = planZip(entries(), options);
  await pipeline(streamZip(plan), createWriteStream(file));
  return plan;
}

async function expectSameContent(file: string) {
  const { entries: read, zip64End } = await pythonZipEntries(file);
  expect(read.map((entry) => entry.name)).toEqual(FILES.map(([, name]) => name));
  for (const entry of read) {
    expect(entry.sha256).toBe(await sha256Of(sources.get(entry.name) as string));
    expect(entry.utf8).toBe(true);
  }
  return { read, zip64End };
}

describe('a streamed zip of real files', () => {
  it('passes unzip -t and python -m zipfile -t, and is exactly as long as planned', async () => {
    const file = join(work, 'plain.zip');
    const plan = await writeArchive(file);
    await unzipTest(file);
    await pythonZipTest(file);
    expect((await stat(file)).size).toBe(plan.length);
  });

  it('gives back every file byte for byte under its safe, unique UTF-8 name', async () => {
    const file = join(work, 'names.zip');
    await writeArchive(file);
    const { read, zip64End } = await expectSameContent(file);
    expect(read.some((entry) => entry.zip64)).toBe(false);
    expect(zip64End).toBe(false);
  });

  it('extracts with unzip into its folder only, every file under its archive name', async () => {
    const file = join(work, 'extract.zip');
    await writeArchive(file);
    const target = join(work, 'extracted');
    await unzipInto(file, target);
    const found = (await readdir(target, { recursive: true, withFileTypes: true }))
      .filter((dirent) => dirent.isFile())
      .map((dirent) => relative(target, join(dirent.parentPath, dirent.name)).normalize('NFC'));
    expect(found.sort()).toEqual(FILES.map(([, name]) => name).sort());
  });

  it('reads the same with zip64 records forced on every entry and at the end', async () => {
    const file = join(work, 'forced64.zip');
    const plan = await writeArchive(file, { forceZip64: true });
    await unzipTest(file);
    await pythonZipTest(file);
    expect((await stat(file)).size).toBe(plan.length);
    const { read, zip64End } = await expectSameContent(file);
    expect(read.every((entry) => entry.zip64)).toBe(true);
    expect(zip64End).toBe(true);
  });
});
