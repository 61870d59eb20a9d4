import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Buffered bytes before the producer is paused: a few large chunks keep the disk busy without hoarding memory. */
const HIGH_WATER_MARK = 4 * 1024 * 1024;

/**
 * Writes a stream into an open file from `position` on, batching queued chunks into one writev, and calls
 * `flushInBackground(position)` each time another `syncEvery` bytes of the file are written (it answers
 * whether a sync started), so the data reaches the disk while the upload runs and the final fsync at
 * completion has little left to do. The handle stays open: its owner closes it.
 */
export class PositionedSink extends Writable {
  private nextSyncAt: number;

  constructor(
    private readonly handle: FileHandle,
    private position: number,
    private readonly syncEvery: number,
    private readonly flushInBackground: (position: number) => boolean,
  ) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.nextSyncAt = (Math.floor(position / syncEvery) + 1) * syncEvery;
  }

  /** Bytes the file holds after what this sink wrote. */
  get reached(): number {
    return this.position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void) {
    this.writeAll([chunk]).then(() => done(), done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void) {
    this.writeAll(chunks.map(({ chunk }) => chunk)).then(() => done(), done);
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    let pending = buffers;
    while (pending.length) {
      const { bytesWritten } = await this.handle.writev(pending, this.position);
      this.position += bytesWritten;
      pending = remainder(pending, bytesWritten);
    }
    // A sync that could not start now (another one is running) is tried again after the next write, not
    // `syncEvery` bytes later: the durable offset of a crash should lag by one interval at most.
    if (this.position >= this.nextSyncAt && this.flushInBackground(this.position))
      this.nextSyncAt = (Math.floor(this.position / this.syncEvery) + 1) * this.syncEvery;
  }
}

/** What is left of `buffers` after the first `written` bytes went out (writev may write less than asked). */
function remainder(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  const left: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    left.push(skip ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return left;
}
