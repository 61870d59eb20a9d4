import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MAX_OUTPUT = 256 * 1024 * 1024;
// Info-ZIP unzip writes UTF-8 names as #U00e9 escapes under the C locale (as CI may have it).
const UNZIP = { maxBuffer: MAX_OUTPUT, env: { ...process.env, LC_ALL: 'C.UTF-8' } };

/** `unzip -t` (Info-ZIP, what most Linux users extract with): throws unless every entry tests OK. */
export async function unzipTest(file: string): Promise<void> {
  const { stdout } = await run('unzip', ['-tq', file], UNZIP);
  if (!stdout.includes('No errors detected')) throw new Error(`unzip -t ${file}: ${stdout}`);
}

/** Extracts `file` into `target` with unzip, as a user would. */
export async function unzipInto(file: string, target: string): Promise<void> {
  await run('unzip', ['-q', file, '-d', target], UNZIP);
}

/** `python3 -m zipfile -t`: it exits 0 even for a corrupt entry, so its words are read too. */
export async function pythonZipTest(file: string): Promise<void> {
  const { stdout, stderr } = await run('python3', ['-m', 'zipfile', '-t', file], {
    maxBuffer: MAX_OUTPUT,
  });
  if (!stdout.includes('Done testing') || /corrupt/i.test(stdout + stderr))
    throw new Error(`python3 -m zipfile -t ${file}: ${stdout}${stderr}`);
}

/** One entry as Python's zipfile reads it. */
export interface PythonZipEntry {
  name: string;
  size: number;
  sha256: string;
  /** The language-encoding flag (general purpose bit 11): the name is UTF-8. */
  utf8: boolean;
  /** The central record carries a zip64 extended information extra field (0x0001). */
  zip64: boolean;
}

// Reads each entry (zipfile checks its CRC-32 at the end of each read) and hashes it; the zip64 end of
// central directory locator sits just before the 22-byte end record (no archive comment).
const READ_ENTRIES = `
import hashlib, json, struct, sys, zipfile
def has_zip64_extra(extra):
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from('<HH', extra, at)
        if tag == 1:
            return True
        at += 4 + size
    return False
path = sys.argv[1]
entries = []
with zipfile.ZipFile(path) as archive:
    for info in archive.infolist():
        digest = hashlib.sha256()
        with archive.open(info) as data:
            for block in iter(lambda: data.read(1 << 20), b''):
                digest.update(block)
        entries.append({'name': info.filename, 'size': info.file_size, 'sha256': digest.hexdigest(),
                        'utf8': bool(info.flag_bits & 0x800), 'zip64': has_zip64_extra(info.extra)})
with open(path, 'rb') as raw:
    raw.seek(-42, 2)
    zip64_end = raw.read(4) == b'PK\\x06\\x07'
json.dump({'entries': entries, 'zip64End': zip64_end}, sys.stdout)
`;

/** Every entry of `file` read by Python's zipfile, and whether the archive ends with zip64 records. */
export async function pythonZipEntries(
  file: string,
): Promise<{ entries: PythonZipEntry[]; zip64End: boolean }> {
  const { stdout } = await run('python3', ['-c', READ_ENTRIES, file], { maxBuffer: MAX_OUTPUT });
  return JSON.parse(stdout) as { entries: PythonZipEntry[]; zip64End: boolean };
}

/** SHA-256 of a file or a buffer, hex. */
export async function sha256Of(source: string | Buffer): Promise<string> {
  const hash = createHash('sha256');
  if (Buffer.isBuffer(source)) return hash.update(source).digest('hex');
  for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A file sink that leaves all-zero chunks as holes: an archive of sparse files stays sparse, so a zip over
 * 4 GiB is read back by real tools without 4 GiB on disk. `bytes` counts everything written.
 */
export async function sparseFileSink(path: string): Promise<Writable & { bytes: number }> {
  const handle = await open(path, 'w');
  let position = 0;
  let zeros = Buffer.alloc(0);
  const sink = new Writable({
    async write(chunk: Buffer, _encoding, done) {
      try {
        if (zeros.length < chunk.length) zeros = Buffer.alloc(chunk.length);
        if (!chunk.equals(zeros.subarray(0, chunk.length)))
          await handle.write(chunk, 0, chunk.length, position);
        position += chunk.length;
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    async final(done) {
      await handle.truncate(position);
      await handle.close();
      done();
    },
  });
  return Object.defineProperty(sink, 'bytes', { get: () => position }) as Writable & {
    bytes: number;
  };
}
