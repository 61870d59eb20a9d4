import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { READ_CHUNK_BYTES } from './local-disk';
import { PositionedSink } from './positioned-sink';

const ID_RULE = /^[A-Za-z0-9_-]{16,64}$/;
const PARTIAL_DIR = '.uploads';
const SUFFIX = '.part';
/** Background fdatasync interval while an upload is written (see PositionedSink). */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;
const MAX_BACKGROUND_FLUSHES = 1;

/**
 * An open partial file: the sink to stream into; `trim` once the sink is done, then `close` (also when
 * anything failed: it is safe to call more than once).
 */
export interface PartialWriter {
  sink: PositionedSink;
  /** Cuts off anything past what the sink wrote; resolves with the bytes the file holds. */
  trim(): Promise<number>;
  close(): Promise<void>;
}

/** A partial upload file that was found on disk (for the expiry sweep). */
export interface PartialEntry {
  id: string;
  mtime: Date;
  size: number;
}

/**
 * The bytes of unfinished resumable uploads, under UPLOAD_DIR/.uploads/<id>.part: the same filesystem as
 * the finished contents, so completion is a rename (LocalDiskStorage.adopt) and never a copy.
 */
export class PartialUploads {
  readonly dir: string;
  private flushing = 0;

  constructor(root: string) {
    this.dir = path.join(path.resolve(root), PARTIAL_DIR);
  }

  /** The one place an upload id becomes a path; anything that is not one of our ids is refused. */
  pathFor(id: string): string {
    if (!ID_RULE.test(id)) throw new Error(`not an upload id: ${JSON.stringify(id).slice(0, 80)}`);
    return path.join(this.dir, `${id}${SUFFIX}`);
  }

  /** Creates the empty partial file; fails if it already exists (ids are never reused). */
  async create(id: string): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const handle = await fsp.open(this.pathFor(id), 'wx');
    await handle.close();
  }

  /**
   * Opens the partial file for writing at `offset`. `trim()` cuts off anything past what was written (left by an
   * earlier request that failed half-way). `written` hears of each range as it reaches the file (see
   * PositionedSink); `synced` of each length the file is known to hold on disk after a background sync.
   */
  async openAt(
    id: string,
    offset: number,
    written?: (position: number, length: number) => Promise<void>,
    synced?: (durable: number) => void,
  ): Promise<PartialWriter> {
    const handle = await fsp.open(this.pathFor(id), 'r+');
    const sink = new PositionedSink(
      handle,
      offset,
      SYNC_EVERY_BYTES,
      (position) => this.flush(id, position, synced),
      written,
    );
    // The size is read while the body streams in, so trim() costs no extra file call when nothing is left over. A
    // stat that comes after some writes sees the larger of the old size and what the sink had written by then,
    // so it exceeds `reached` exactly when old bytes lie past the end. If the stat fails, trim() truncates anyway
    // (harmless when there was nothing to cut).
    const sizeBefore = handle.stat().then(
      (stats) => stats.size,
      () => Infinity,
    );
    let closing: Promise<void> | null = null;
    return {
      sink,
      async trim() {
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

  /** Cuts the file back to `length` bytes (a chunk whose checksum did not match is forgotten). */
  async truncate(id: string, length: number): Promise<void> {
    await fsp.truncate(this.pathFor(id), length);
  }

  /** Reads the whole partial file (to recompute a hash another instance started). */
  read(id: string): Readable {
    return fs.createReadStream(this.pathFor(id), { highWaterMark: READ_CHUNK_BYTES });
  }

  /** Bytes on disk, or null when there is no partial file. */
  async size(id: string): Promise<number | null> {
    const stats = await fsp.stat(this.pathFor(id)).catch(() => null);
    return stats ? stats.size : null;
  }

  /** Flushes the file to disk before it is renamed into storage. */
  async sync(id: string): Promise<void> {
    const handle = await fsp.open(this.pathFor(id), 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Sets the file's times to now. */
  async touch(id: string): Promise<void> {
    const now = new Date();
    await fsp.utimes(this.pathFor(id), now, now);
  }

  /** Removes the partial file; a missing one is not an error. */
  async remove(id: string): Promise<void> {
    await fsp.rm(this.pathFor(id), { force: true });
  }

  /** Every partial file with its last write time. */
  async list(): Promise<PartialEntry[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const entries: PartialEntry[] = [];
    for (const name of names) {
      const id = name.endsWith(SUFFIX) ? name.slice(0, -SUFFIX.length) : '';
      if (!ID_RULE.test(id)) continue;
      const stats = await fsp.stat(path.join(this.dir, name)).catch(() => null);
      if (stats) entries.push({ id, mtime: stats.mtime, size: stats.size });
    }
    return entries;
  }

  /** How many partial files there are and the bytes they hold (what a full disk owes to unfinished uploads). */
  async usage(): Promise<{ count: number; bytes: number }> {
    const entries = await this.list();
    return { count: entries.length, bytes: entries.reduce((sum, entry) => sum + entry.size, 0) };
  }
}
