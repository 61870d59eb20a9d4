import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { digestOf } from './digest';
import { ParallelSha256 } from './parallel-hash';
import { PartialUploads } from './partial-uploads';
import { storedKeys } from './stored-keys';
import { TempJanitor, type TempSweepResult } from './temp-janitor';
import { claimTemp, newTempName, releaseTemp } from './temp-owners';
import { writeSynced } from './write-temp';
import {
  StorageNotFound,
  type ByteRange,
  type ObjectReader,
  type StagedObject,
  type Storage,
  type StoredObject,
  type StoredStat,
} from './types';
import { isWellFormedId } from '../lib/ids';

/** Large reads keep syscalls few: 1 MiB chunks move a big file several times faster than the 64 KiB default. */
const READ_CHUNK_BYTES = 1024 * 1024;
const TEMP_DIR = '.tmp';
const TEMP_NAME = /^[A-Za-z0-9.-]{1,160}\.part$/;

/** Contents on local disk under UPLOAD_DIR, sharded by key (`ab/abcdef...`), written atomically. */
export class LocalDiskStorage implements Storage {
  readonly uploads: PartialUploads;
  private readonly root: string;
  /** The hashing thread of form uploads. */
  private readonly hasher = new ParallelSha256();
  private readonly tempDir: string;
  private readonly janitor: TempJanitor;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tempDir = path.join(this.root, TEMP_DIR);
    this.janitor = new TempJanitor(this.tempDir);
    this.uploads = new PartialUploads(this.root, {
      adopt: (file, key) => this.adopt(file, key),
      describe: (key) => this.describe(key),
    });
  }

  /** The one place a key becomes a path; a key that is not one of ours is refused before touching disk. */
  pathFor(key: string): string {
    if (!isWellFormedId(key))
      throw new StorageNotFound(`not a storage key: ${JSON.stringify(key).slice(0, 80)}`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  /**
   * A fresh temp path on the same filesystem (so the final rename is atomic), named after this process and
   * claimed by it until `releaseTemp`, so no sweep of any instance removes it while it is in use.
   */
  private async tempPath(): Promise<string> {
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
      const handle = await fsp.open(tempPath, 'wx');
      const { size, sha256 } = await writeSynced(handle, source, this.hasher, options.maxBytes);
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
    await this.adopt(tempPath, key);
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

  /** Renames a complete, synced file of this storage's filesystem into place under `key`. */
  async adopt(file: string, key: string): Promise<void> {
    const finalPath = this.pathFor(key);
    await fsp.mkdir(path.dirname(finalPath), { recursive: true });
    await fsp.rename(file, finalPath);
  }

  /** Opens the file of `key`, so a missing one is an error here and not in the middle of a response. */
  private async openFile(key: string): Promise<fsp.FileHandle> {
    return fsp.open(this.pathFor(key), 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new StorageNotFound(key) : err;
    });
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    return fs.createReadStream('', {
      fd: await this.openFile(key),
      start: range?.start,
      end: range?.end,
      highWaterMark: READ_CHUNK_BYTES,
      autoClose: true,
    });
  }

  async open(key: string): Promise<ObjectReader> {
    const handle = await this.openFile(key);
    return {
      // fs.read on the descriptor: the callback form is the cheapest positioned read node has.
      read: (buffer, length, position, done) =>
        fs.read(handle.fd, buffer, 0, length, position, done),
      close: () => void handle.close().catch(() => undefined),
    };
  }

  /** The size and SHA-256 of the content under `key` (read back), or null when there is none. */
  private async describe(key: string): Promise<{ size: number; sha256: string } | null> {
    if (!(await this.stat(key))) return null;
    return digestOf(await this.get(key));
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

  keys(before: Date): AsyncIterable<string> {
    return storedKeys(this.root, before);
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
