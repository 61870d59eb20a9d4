import { Readable, type Writable } from 'node:stream';
import type Koa from 'koa';
import type { ObjectReader } from '../../storage/types';

/** 512 KiB: big enough for few syscalls, small enough to stay in cache between read and send. */
const SEND_CHUNK_BYTES = 512 * 1024;

/** Spare buffers one app keeps between responses (32 MiB). */
const MAX_SPARE_BUFFERS = 64;

/**
 * Responses streaming at once that may hold a second buffer (reading the next chunk while one is sent).
 * That speeds up a lone stream; with several, the other responses keep the disk and the socket busy, and
 * 32 clients of 1 MiB ranges would hold 32 MiB of buffers: only the first few double-buffer.
 */
const DOUBLE_BUFFERED_STREAMS = 4;

/**
 * The send buffers of one app: those finished responses gave back, reused by the next ones (fresh large
 * buffers cost page faults and leave GC to reclaim external memory late). Holds no request's state.
 */
export class SendBufferPool {
  private readonly spare: Buffer[] = [];
  /** Bodies streaming now. */
  streaming = 0;

  constructor(private readonly maxSpare = MAX_SPARE_BUFFERS) {}

  /** A buffer of SEND_CHUNK_BYTES, reused when one is spare. */
  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK_BYTES);
  }

  /** Keeps `buffers` for the next responses; they must be out of every write. */
  give(buffers: Buffer[]): void {
    for (const buffer of buffers) if (this.spare.length < this.maxSpare) this.spare.push(buffer);
  }
}

declare module 'koa' {
  interface DefaultContext {
    /** The send buffers of this app (installSendBuffers); absent in an app that did not install them. */
    sendBuffers?: SendBufferPool;
  }
}

/** Gives `app` its own send buffers, shared by its responses only. */
export function installSendBuffers(app: Koa): void {
  app.context.sendBuffers = new SendBufferPool();
}

/** The app's send buffers, or for an app without them a pool that keeps nothing between responses. */
export function sendBuffersOf(ctx: Koa.Context): SendBufferPool {
  return ctx.sendBuffers ?? new SendBufferPool(0);
}

/** What the body needs of the response it is piped to: how much it still holds, and its events. */
type BodySink = Pick<
  Writable,
  'writableLength' | 'writableNeedDrain' | 'writableFinished' | 'once' | 'removeListener'
>;

/** A buffer handed to the consumer, and the body offset just past its bytes. */
interface Lent {
  buffer: Buffer;
  end: number;
}

/** How the body reads and where its buffers come from. */
export interface FileSpanOptions {
  pool: SendBufferPool;
  /** The response this body is sent into: a pushed buffer is reused once it holds none of its bytes. */
  sink: BodySink;
  onBytes?: (bytes: number) => void;
}

/**
 * A response body for one byte span of a stored object (Storage.open): a plain Readable whose `_read` reads
 * the next chunk at its position into a reused buffer, and which ends with push(null). Fresh 1 MiB buffers per chunk (fs.ReadStream) cost page faults and GC; reuse is ~30% faster.
 * A pushed buffer is only refilled once the sink no longer holds any of its bytes: the readable's own
 * queue (readableLength) and the response's (writableLength, which counts bytes until the socket write
 * that sent them completed) are the most recent bytes, so everything before them is out of every write.
 */
export class FileSpanBody extends Readable {
  private position: number;
  private pushed = 0;
  private readonly lent: Lent[] = [];
  private readonly free: Buffer[] = [];
  private readonly maxBuffers: number;
  private reading = false;
  private closeAfterRead: (() => void) | null = null;
  private readonly retry = () => this._read();

  constructor(
    private readonly source: ObjectReader,
    start: number,
    private readonly end: number,
    private readonly options: FileSpanOptions,
  ) {
    super({ highWaterMark: SEND_CHUNK_BYTES });
    this.position = start;
    // A span that fits in one buffer needs only one.
    const double =
      end - start + 1 > SEND_CHUNK_BYTES && options.pool.streaming < DOUBLE_BUFFERED_STREAMS;
    this.maxBuffers = double ? 2 : 1;
    options.pool.streaming += 1;
  }

  override _read(): void {
    if (this.destroyed || this.reading) return;
    const length = Math.min(SEND_CHUNK_BYTES, this.end - this.position + 1);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = this.nextBuffer();
    if (!buffer) {
      // Every buffer is still in the response: read again once the socket took it.
      this.options.sink.once('drain', this.retry);
      return;
    }
    this.reading = true;
    this.source.read(buffer, length, this.position, (err, bytesRead) => {
      this.reading = false;
      if (this.closeAfterRead) return this.closeAfterRead();
      if (err) return void this.destroy(err);
      if (bytesRead === 0)
        return void this.destroy(new Error('file ended before its recorded size'));
      this.position += bytesRead;
      this.pushed += bytesRead;
      this.lent.push({ buffer, end: this.pushed });
      this.options.onBytes?.(bytesRead);
      this.push(buffer.subarray(0, bytesRead));
    });
  }

  /** A buffer no byte of which is still queued, or null when the body must wait for the socket. */
  private nextBuffer(): Buffer | null {
    this.reclaim();
    const spare = this.free.pop();
    if (spare) return spare;
    if (this.lent.length < this.maxBuffers) return this.options.pool.take();
    // No 'drain' is coming when the response is not waiting for one (a short last write): a second one.
    return this.options.sink.writableNeedDrain ? null : this.options.pool.take();
  }

  /** Moves the lent buffers the sink has finished writing to `free`. */
  private reclaim(): void {
    const queued = this.readableLength + this.options.sink.writableLength;
    // Response headers are in writableLength too: that only makes this count lower, never too high.
    const sent = this.pushed - queued;
    while (this.lent.length > 0 && this.lent[0].end <= sent)
      this.free.push(this.lent.shift()!.buffer);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const { pool, sink } = this.options;
    pool.streaming -= 1;
    sink.removeListener('drain', this.retry);
    this.giveBackWhenSent(err);
    // A read running on the descriptor finishes first: closing under it could let the number be reused
    // mid-read. A write that never completes (client gone) cannot hold the file open: it is not a read.
    const close = () => {
      this.closeAfterRead = null;
      this.source.close();
      callback(err);
    };
    if (this.reading) this.closeAfterRead = close;
    else close();
  }

  /**
   * The buffers go back to the pool once the response finished (its last write completed, so no write
   * uses them); after a failure or a client gone, a write may still hold one: they are left to the GC.
   */
  private giveBackWhenSent(err: Error | null): void {
    const { pool, sink } = this.options;
    if (err || this.reading) return;
    const buffers = [...this.free, ...this.lent.map((lent) => lent.buffer)];
    if (sink.writableFinished) return pool.give(buffers);
    const onFinish = () => {
      sink.removeListener('close', onClose);
      pool.give(buffers);
    };
    const onClose = () => sink.removeListener('finish', onFinish);
    sink.once('finish', onFinish);
    sink.once('close', onClose);
  }
}
