import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ParallelSha256 } from './parallel-hash';
import {
  StorageLimitExceeded,
  StorageNotFound,
  type ByteRange,
  type Storage,
  type StoredObject,
  type StoredStat,
} from './types';

const KEY_RULE = /^[A-Za-z0-9_-]{16,64}$/;
/** Large reads keep syscalls few: 1 MiB chunks move a big file several times faster than the 64 KiB default. */
export const READ_CHUNK_BYTES = 1024 * 1024;
const TEMP_DIR = '.tmp';

/** Bytes written between background flushes of a large put. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Starts a background fdatasync every FLUSH_EVERY_BYTES while a large file is written, so the disk works while
 * data still arrives and the final fsync only waits for the last stretch (instead of the whole file at the end).
 */
class EarlyFlush {
  private unflushed = 0;
  private running: Promise<void> | null = null;

  constructor(private readonly handle: fsp.FileHandle) {}

  wrote(bytes: number): void {
    this.unflushed += bytes;
    if (this.unflushed < FLUSH_EVERY_BYTES || this.running) return;
    this.unflushed = 0;
    // A failure here is not lost: the final sync() reports the same error.
    this.running = this.handle
      .datasync()
      .catch(() => undefined)
      .finally(() => {
        this.running = null;
      });
  }

  async settled(): Promise<void> {
    await this.running;
  }
}

/** Contents on local disk under UPLOAD_DIR, sharded by key (`ab/abcdef...`), written atomically. */
export class LocalDiskStorage implements Storage {
  readonly root: string;
  /** The hashing thread, shared with the resumable uploads' running hashes. */
  readonly hasher = new ParallelSha256();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The one place a key becomes a path; a key that is not one of ours is refused before touching disk. */
  pathFor(key: string): string {
    if (!KEY_RULE.test(key))
      throw new StorageNotFound(`not a storage key: ${JSON.stringify(key).slice(0, 80)}`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  /** A fresh temp path on the same filesystem (so the final rename is atomic). */
  async tempPath(): Promise<string> {
    const dir = path.join(this.root, TEMP_DIR);
    await fsp.mkdir(dir, { recursive: true });
    return path.join(dir, `${randomUUID()}.part`);
  }

  async put(
    key: string,
    source: Readable,
    options: { maxBytes?: number } = {},
  ): Promise<StoredObject> {
    const finalPath = this.pathFor(key);
    const tempPath = await this.tempPath();
    const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    let size = 0;
    const handle = await fsp.open(tempPath, 'wx');
    const flusher = new EarlyFlush(handle);
    const hash = this.hasher.start();
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new StorageLimitExceeded(maxBytes));
        flusher.wrote(chunk.length);
        hash.update(chunk, () => done(null, chunk));
      },
    });
    const output = handle.createWriteStream({ autoClose: false, highWaterMark: READ_CHUNK_BYTES });
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
      const sha256 = await digest;
      await this.moveIntoPlace(tempPath, finalPath);
      return { key, size, sha256 };
    } catch (err) {
      hash.abort();
      output.destroy();
      await flusher.settled();
      await handle.close().catch(() => undefined);
      await fsp.rm(tempPath, { force: true });
      throw err;
    }
  }

  /** Renames a complete, synced file into place under `key` (used by put and by finished resumable uploads). */
  async adopt(tempPath: string, key: string): Promise<void> {
    await this.moveIntoPlace(tempPath, this.pathFor(key));
  }

  private async moveIntoPlace(tempPath: string, finalPath: string): Promise<void> {
    await fsp.mkdir(path.dirname(finalPath), { recursive: true });
    await fsp.rename(tempPath, finalPath);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathFor(key);
    // Open first, so a missing file is an error here and not in the middle of a response.
    const handle = await fsp.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new StorageNotFound(key) : err;
    });
    return fs.createReadStream('', {
      fd: handle,
      start: range?.start,
      end: range?.end,
      highWaterMark: READ_CHUNK_BYTES,
      autoClose: true,
    });
  }

  async stat(key: string): Promise<StoredStat | null> {
    try {
      const stats = await fsp.stat(this.pathFor(key));
      return { size: stats.size, mtime: stats.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof StorageNotFound)
        return null;
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    await fsp.rm(this.pathFor(key), { force: true });
  }

  /** Stops the hashing thread (shutdown); a later put starts a new one. */
  async close(): Promise<void> {
    await this.hasher.close();
  }

  /** Temp files older than `maxAgeMs` (left by a crash mid-write) are removed; returns how many. */
  async sweepTemp(maxAgeMs: number): Promise<number> {
    const dir = path.join(this.root, TEMP_DIR);
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(dir, name);
      const stats = await fsp.stat(file).catch(() => null);
      if (stats && Date.now() - stats.mtimeMs > maxAgeMs) {
        await fsp.rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
