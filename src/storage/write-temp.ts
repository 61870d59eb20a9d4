import type fsp from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EarlyFlush } from './early-flush';
import type { ParallelSha256 } from './parallel-hash';
import { StorageLimitExceeded } from './types';

/** Large writes keep syscalls few: 1 MiB chunks move a big file several times faster than the 64 KiB default. */
const WRITE_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams `source` into the new, open file `handle`, hashing on the hashing thread as it goes, synced and
 * closed; returns its size and SHA-256. Rejects with StorageLimitExceeded past `maxBytes` (the caller removes
 * the file). The handle is closed either way.
 */
export async function writeSynced(
  handle: fsp.FileHandle,
  source: Readable,
  hasher: ParallelSha256,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<{ size: number; sha256: string }> {
  let size = 0;
  const flusher = new EarlyFlush(handle);
  const hash = hasher.start();
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new StorageLimitExceeded(maxBytes));
      flusher.wrote(chunk.length);
      hash.update(chunk, () => done(null, chunk));
    },
  });
  const output = handle.createWriteStream({ autoClose: false, highWaterMark: WRITE_CHUNK_BYTES });
  try {
    await pipeline(source, measure, output);
    // The hashing thread finishes while the disk syncs.
    const digest = hash.digest();
    digest.catch(() => undefined);
    await flusher.settled();
    await handle.sync();
    // The stream holds a reference on the handle until destroyed; without this, close() waits forever.
    output.destroy();
    await handle.close();
    return { size, sha256: await digest };
  } catch (err) {
    hash.abort();
    output.destroy();
    await flusher.settled();
    await handle.close().catch(() => undefined);
    throw err;
  }
}
