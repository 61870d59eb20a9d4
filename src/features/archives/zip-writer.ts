/**
 * Streamed zip archives (store mode, no temp file): entries are opened one at a time when their turn comes,
 * CRC-32 is computed while streaming, zip64 is used where needed and the length is known in advance.
 * yazl rather than archiver/zip-stream: lazy sources built in, zip64 a test can force per entry, CommonJS that
 * Jest loads as it is, one dependency; zip-stream is faster (bench/README.md) but ESM-only and cannot force
 * zip64 on an entry, and neither gives an exact length (zip-length.ts does).
 */
import type { PassThrough, Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { zipLayoutLength } from './zip-length';
import { zipNames } from './zip-names';

/** One file of an archive: where it goes, how big it is, and how to read it when its turn comes. */
export interface ZipEntry {
  readonly path: string;
  readonly size: number;
  readonly mtime: Date;
  open(): Promise<Readable>;
}

/** An entry under its final (safe, unique) name in the archive. */
interface PlannedZipEntry {
  readonly name: string;
  readonly entry: ZipEntry;
}

/** An archive ready to stream: its entries under their final names and its exact length in bytes. */
export interface ZipPlan {
  readonly entries: readonly PlannedZipEntry[];
  readonly length: number;
  readonly forceZip64: boolean;
}

/** How an archive is laid out; `forceZip64` writes zip64 records even where not needed (readers must cope). */
export interface ZipOptions {
  readonly forceZip64?: boolean;
}

// Regular file, rw-r--r--: what unzip gives the extracted files.
const FILE_MODE = 0o100644;

/** Final names and exact length of the archive of `entries` (sizes checked first: they make the length). */
function measure(entries: readonly Pick<ZipEntry, 'path' | 'size'>[], forceZip64: boolean) {
  for (const { path, size } of entries)
    if (!Number.isSafeInteger(size) || size < 0)
      throw new RangeError(`zip entry ${JSON.stringify(path)} has an invalid size: ${size}`);
  const names = zipNames(entries.map((entry) => entry.path));
  const layout = entries.map(({ size }, i) => ({ nameBytes: Buffer.byteLength(names[i]), size }));
  return { names, length: zipLayoutLength(layout, forceZip64) };
}

/** Exact byte length of the archive of `entries`, as `streamZip(planZip(entries))` writes it (no I/O). */
export function zipLength(
  entries: readonly Pick<ZipEntry, 'path' | 'size'>[],
  options: ZipOptions = {},
): number {
  return measure(entries, options.forceZip64 ?? false).length;
}

/** Names and length of an archive of `entries` (no I/O): the route refuses an oversized one before any byte. */
export function planZip(entries: readonly ZipEntry[], options: ZipOptions = {}): ZipPlan {
  const forceZip64 = options.forceZip64 ?? false;
  const { names, length } = measure(entries, forceZip64);
  return { entries: entries.map((entry, i) => ({ name: names[i], entry })), length, forceZip64 };
}

/** Settles when `source` has released what it holds (core streams emit 'close' after their end or destroy). */
function closed(source: Readable): Promise<void> {
  if (source.closed) return Promise.resolve();
  return new Promise((resolve) => source.once('close', () => resolve()));
}

/**
 * Streams the archive of `plan`. Only one source is open at a time; when the consumer goes away (the returned
 * stream is destroyed) the open source is destroyed and no further entry is opened. A source that fails, or
 * whose length differs from its size, ends the stream with that error.
 */
export function streamZip(plan: ZipPlan): Readable {
  const zip = new ZipFile();
  // The types say ReadableStream; yazl's output is a PassThrough (and destroying it is how a consumer leaves).
  const output = zip.outputStream as PassThrough;
  let current: Readable | undefined;
  let previousClosed = Promise.resolve();
  let stopped = false;
  // 'close' comes after the last byte as well as on destroy: either way nothing more is to be read.
  output.once('close', () => {
    stopped = true;
    current?.destroy();
  });
  const fail = (error: Error) => output.destroy(error);
  zip.on('error', fail);
  const options = { compress: false, mode: FILE_MODE, forceZip64Format: plan.forceZip64 };
  for (const { name, entry } of plan.entries) {
    zip.addReadStreamLazy(name, { ...options, size: entry.size, mtime: entry.mtime }, (give) => {
      if (stopped) return; // yazl then waits for ever, holding nothing open
      // yazl asks for the next source when the previous one ended; its file may still be closing.
      previousClosed
        .then(() => (stopped ? undefined : entry.open()))
        .then((source) => {
          if (!source) return;
          if (stopped) return void source.destroy();
          current = source.once('error', fail);
          previousClosed = closed(source);
          give(null, source);
        }, fail);
    });
  }
  zip.end({ forceZip64Format: plan.forceZip64, comment: '' });
  return output;
}
