import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { digestOf } from './digest';
import { PositionedSink } from './positioned-sink';
import type { AppendOptions, HeldUpload, ResumableUploads, UploadWriter } from './types';
import { isWellFormedId } from '../lib/ids';

const PARTIAL_DIR = '.uploads';
const SUFFIX = '.part';
/** Background fdatasync interval while an upload is written (see PositionedSink). */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;
const MAX_BACKGROUND_FLUSHES = 1;
/** Large reads keep syscalls few when a finished upload is hashed. */
const HASH_READ_BYTES = 1024 * 1024;

/** What the partial files need of the finished contents: a rename into place, and what a key holds. */
export interface ContentPlacement {
  /** Renames a complete, synced file into place under `key`. */
  adopt(file: string, key: string): Promise<void>;
  /** The size and SHA-256 of the content under `key`, or null when it holds nothing. */
  describe(key: string): Promise<{ size: number; sha256: string } | null>;
}

/**
 * The bytes of unfinished resumable uploads, under UPLOAD_DIR/.uploads/<id>.part: the same filesystem as
 * the finished contents, so completion is a rename and never a copy. The SHA-256 is computed once, at
 * completion, from the file (still in the page cache): one hash whatever the PATCHes, instances or restarts.
 */
export class PartialUploads implements ResumableUploads {
  private readonly dir: string;
  private flushing = 0;

  constructor(
    root: string,
    private readonly contents: ContentPlacement,
  ) {
    this.dir = path.join(path.resolve(root), PARTIAL_DIR);
  }

  /** The one place an upload id becomes a path; anything that is not one of our ids is refused. */
  pathFor(id: string): string {
    if (!isWellFormedId(id))
      throw new Error(`not an upload id: ${JSON.stringify(id).slice(0, 80)}`);
    return path.join(this.dir, `${id}${SUFFIX}`);
  }

  async create(id: string): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const handle = await fsp.open(this.pathFor(id), 'wx');
    await handle.close();
  }

  async append(id: string, offset: number, options: AppendOptions = {}): Promise<UploadWriter> {
    const handle = await fsp.open(this.pathFor(id), 'r+');
    const sink = new PositionedSink(handle, offset, SYNC_EVERY_BYTES, (position) =>
      this.flush(id, position, options.onDurable),
    );
    // The size is read while the body streams in, so settle() costs no extra file call when nothing is left
    // over. A stat that comes after some writes sees the larger of the old size and what the sink had written by
    // then, so it exceeds `reached` exactly when old bytes lie past the end. If the stat fails, settle()
    // truncates anyway (harmless when there was nothing to cut).
    const sizeBefore = handle.stat().then(
      (stats) => stats.size,
      () => Infinity,
    );
    let closing: Promise<void> | null = null;
    return {
      sink,
      async settle() {
        if ((await sizeBefore) > sink.reached) await handle.truncate(sink.reached);
        return sink.reached;
      },
      close() {
        closing ??= sizeBefore.then(() => handle.close());
        return closing;
      },
    };
  }

  /**
   * Starts an fdatasync of the file on a descriptor of its own, detached from the request, so neither the
   * writer nor its close waits for it (a failure only means completion's fsync has more to do). Every byte
   * before `position` was written before the sync began, so once it succeeds they are on disk: `synced` hears
   * of it (the durable offset a crash falls back to).
   */
  private flush(id: string, position: number, synced?: (durable: number) => void): boolean {
    // Syncs occupy libuv's small thread pool: never let them crowd out the writes. A sync refused here is
    // asked for again after the sink's next write.
    if (this.flushing >= MAX_BACKGROUND_FLUSHES) return false;
    this.flushing += 1;
    void fsp
      .open(this.pathFor(id), 'r')
      .then((handle) => handle.datasync().finally(() => handle.close()))
      .then(() => synced?.(position))
      .catch(() => undefined)
      .finally(() => {
        this.flushing -= 1;
      });
    return true;
  }

  async truncate(id: string, length: number): Promise<void> {
    await fsp.truncate(this.pathFor(id), length);
  }

  async offset(id: string): Promise<number | null> {
    const stats = await fsp.stat(this.pathFor(id)).catch(() => null);
    return stats ? stats.size : null;
  }

  async complete(id: string, key: string): Promise<{ size: number; sha256: string } | null> {
    const file = this.pathFor(id);
    // An earlier attempt moved it already (and stopped before registering), or it is gone.
    if ((await this.offset(id)) === null) return this.contents.describe(key);
    // The hash reads the bytes back from the page cache while the disk syncs them.
    const [described] = await Promise.all([
      digestOf(fs.createReadStream(file, { highWaterMark: HASH_READ_BYTES })),
      this.sync(file),
    ]);
    const now = new Date();
    await fsp.utimes(file, now, now); // fresh mtime: the files sweep must not take it for an old orphan
    await this.contents.adopt(file, key);
    return described;
  }

  /** Flushes the file to disk before it is renamed into storage. */
  private async sync(file: string): Promise<void> {
    const handle = await fsp.open(file, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async remove(id: string): Promise<void> {
    await fsp.rm(this.pathFor(id), { force: true });
  }

  async list(): Promise<HeldUpload[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const entries: HeldUpload[] = [];
    for (const name of names) {
      const id = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : '';
      if (!isWellFormedId(id)) continue;
      const stats = await fsp.stat(path.join(this.dir, name)).catch(() => null);
      if (stats) entries.push({ id, mtime: stats.mtime, size: stats.size });
    }
    return entries;
  }

  async usage(): Promise<{ count: number; bytes: number }> {
    const entries = await this.list();
    return { count: entries.length, bytes: entries.reduce((sum, entry) => sum + entry.size, 0) };
  }
}
