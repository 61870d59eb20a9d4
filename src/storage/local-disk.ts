import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EarlyFlush } from './early-flush';
import { ParallelSha256 } from './parallel-hash';
import { TempJanitor, type TempSweepResult } from './temp-janitor';
import { claimTemp, newTempName, releaseTemp } from './temp-owners';
import {
  StorageLimitExceeded,
  StorageNotFound,
  type ByteRange,
  type StagedObject,
  type Storage,
  type StoredObject,
  type StoredStat,
} from './types';

const KEY_RULE = /^[A-Za-z0-9_-]{16,64}$/;
/** Large reads keep syscalls few: 1 MiB chunks move a big file several times faster than the 64 KiB default. */
export const READ_CHUNK_BYTES = 1024 * 1024;
const TEMP_DIR = '.tmp';
const TEMP_NAME = /^[A-Za-z0-9.-]{1,160}\.part$/;

/** Contents on local disk under UPLOAD_DIR, sharded by key (`ab/abcdef...`), written atomically. */
export class LocalDiskStorage implements Storage {
  readonly root: string;
  /** The hashing thread, shared with the resumable uploads' running hashes. */
  readonly hasher = new ParallelSha256();
  private readonly tempDir: string;
  private readonly janitor: TempJanitor;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tempDir = path.join(this.root, TEMP_DIR);
    this.janitor = new TempJanitor(this.tempDir);
  }

  /** The one place a key becomes a path; a key that is not one of ours is refused before touching disk. */
  pathFor(key: string): string {
    if (!KEY_RULE.test(key))
      throw new StorageNotFound(`not a storage key: ${JSON.stringify(key).slice(0, 80)}`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  /**
   * A fresh temp path on the same filesystem (so the final rename is atomic), named after this process and
   * claimed by it until `releaseTemp`, so no sweep of any instance removes it while it is in use.
   */
  async tempPath(): Promise<string> {
    await fsp.mkdir(this.tempDir, { recursive: true });
    const file = path.join(this.tempDir, newTempName());
    claimTemp(file);
    return file;
  }

  async put(
    key: string,
    source: Readable,
    options: { maxBytes?: number } = {},
  ): Promise<StoredObject> {
    const staged = await this.stage(source, options);
    try {
      await this.commit(staged, key);
    } catch (err) {
      await this.discard(staged);
      throw err;
    }
    return { key, size: staged.size, sha256: staged.sha256 };
  }

  async stage(source: Readable, options: { maxBytes?: number } = {}): Promise<StagedObject> {
    const tempPath = await this.tempPath();
    try {
      const { size, sha256 } = await this.writeTemp(tempPath, source, options.maxBytes);
      return { size, sha256, token: path.basename(tempPath) };
    } catch (err) {
      await fsp.rm(tempPath, { force: true });
      releaseTemp(tempPath);
      throw err;
    }
  }

  async commit(staged: StagedObject, key: string): Promise<void> {
    const tempPath = this.stagedPath(staged);
    // A fresh mtime: the orphan sweep gives unregistered content a window counted from here.
    const now = new Date();
    await fsp.utimes(tempPath, now, now);
    await this.moveIntoPlace(tempPath, this.pathFor(key));
    releaseTemp(tempPath);
  }

  async discard(staged: StagedObject): Promise<void> {
    const tempPath = this.stagedPath(staged);
    try {
      await fsp.rm(tempPath, { force: true });
    } finally {
      // Should the removal fail, the temp sweep takes the file once this process no longer holds it.
      releaseTemp(tempPath);
    }
  }

  private stagedPath(staged: StagedObject): string {
    if (!TEMP_NAME.test(staged.token)) throw new StorageNotFound('not a staged object');
    return path.join(this.tempDir, staged.token);
  }

  /** Streams `source` into the new file `tempPath`, synced, and returns its size and SHA-256. */
  private async writeTemp(
    tempPath: string,
    source: Readable,
    maxBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<{ size: number; sha256: string }> {
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
      return { size, sha256: await digest };
    } catch (err) {
      hash.abort();
      output.destroy();
      await flusher.settled();
      await handle.close().catch(() => undefined);
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

  /** Starts this process's heartbeat in the temp directory (before any upload is accepted). */
  async start(): Promise<void> {
    await this.janitor.startHeartbeat();
  }

  /** Stops the heartbeat and the hashing thread (shutdown); a later put starts a new thread. */
  async close(): Promise<void> {
    await this.janitor.stopHeartbeat().catch(() => undefined);
    await this.hasher.close();
  }

  /** Removes temp files whose writer is gone (a crash mid-write); see TempJanitor for the rules. */
  sweepTemp(): Promise<TempSweepResult> {
    return this.janitor.sweep();
  }

  /** Bytes the file system of UPLOAD_DIR still gives this process (statfs: blocks available to non-root). */
  async freeBytes(): Promise<number> {
    await fsp.mkdir(this.root, { recursive: true });
    const stats = await fsp.statfs(this.root);
    return stats.bavail * stats.bsize;
  }
}
