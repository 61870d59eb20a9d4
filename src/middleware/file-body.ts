import fs from 'node:fs';
import { Readable, type Writable } from 'node:stream';

/** 512 KiB: big enough for few syscalls, small enough to stay in cache between read and send. */
export const SEND_CHUNK_BYTES = 512 * 1024;

/**
 * Send buffers returned by finished responses, reused by the next ones: fresh large buffers cost page
 * faults and leave GC to reclaim external memory late. Bounded (32 MiB), process-wide, holds no state
 * that belongs to a request.
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 64;

/**
 * Responses streaming now. A second buffer (reading the next chunk while one is sent) speeds up a lone
 * stream; with several, the other responses keep the disk and the socket busy, and 32 clients of 1 MiB
 * ranges would hold 32 MiB of buffers: only the first few double-buffer.
 */
let streaming = 0;
const DOUBLE_BUFFERED_STREAMS = 4;

function takeBuffer(): Buffer {
  return spareBuffers.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK_BYTES);
}

function giveBack(buffers: Buffer[]): void {
  for (const buffer of buffers)
    if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer);
}

/** An fs.ReadStream opened on a descriptor (the type omits `fd`, which Node sets). */
type FileStream = fs.ReadStream & { fd: number };

const readAt = (fd: number, buffer: Buffer, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    fs.read(fd, buffer, 0, length, position, (err, bytesRead) =>
      err ? reject(err) : resolve(bytesRead),
    ),
  );

const writeTo = (dest: Writable, chunk: Buffer) =>
  new Promise<void>((resolve, reject) =>
    dest.write(chunk, (err) => (err ? reject(err) : resolve())),
  );

/**
 * A response body for one byte span of an open file stream (what LocalDiskStorage.get returns):
 * Koa calls pipe(res), and we read into two reused buffers, one being sent while the next is read.
 * Fresh 1 MiB buffers per chunk (fs.ReadStream) cost page faults and GC; reuse is ~30% faster.
 * Back-pressure: a buffer is reused only after the socket took the previous write.
 */
export class FileSpanBody extends Readable {
  private reading = false;

  constructor(
    private readonly source: FileStream,
    private readonly start: number,
    private readonly end: number,
    private readonly onBytes?: (bytes: number) => void,
  ) {
    super();
  }

  /** The source as a file stream with a descriptor, or null for other storage. */
  static fileOf(stream: Readable): FileStream | null {
    const fd = (stream as Partial<FileStream>).fd;
    return stream instanceof fs.ReadStream && typeof fd === 'number'
      ? (stream as FileStream)
      : null;
  }

  override _read(): void {
    // Never called: pipe() writes to the destination itself.
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T): T {
    const out = dest as unknown as Writable;
    // A client that goes away is not an error of ours: stop and close the file, quietly.
    out.on('error', () => this.destroy());
    out.once('close', () => this.destroy());
    void this.pump(out);
    return dest;
  }

  private async pump(dest: Writable): Promise<void> {
    // A span that fits in one buffer needs only one.
    const buffers = [takeBuffer()];
    if (this.end - this.start + 1 > SEND_CHUNK_BYTES && streaming < DOUBLE_BUFFERED_STREAMS)
      buffers.push(takeBuffer());
    streaming += 1;
    let position = this.start;
    let turn = 0;
    let inFlight: Promise<void> = Promise.resolve();
    try {
      while (position <= this.end && !this.destroyed) {
        const buffer = buffers[turn++ % buffers.length];
        // One buffer: it is refilled only once the socket has taken its previous contents.
        if (buffers.length === 1) await inFlight;
        if (this.destroyed || dest.destroyed) break;
        this.reading = true;
        const length = Math.min(SEND_CHUNK_BYTES, this.end - position + 1);
        const bytesRead = await readAt(this.source.fd, buffer, length, position);
        this.reading = false;
        if (this.destroyed) break;
        if (bytesRead === 0) throw new Error('file ended before its recorded size');
        await inFlight;
        if (this.destroyed || dest.destroyed) break;
        inFlight = writeTo(dest, buffer.subarray(0, bytesRead));
        // Handled here too: when the client goes away we stop without awaiting the last write.
        inFlight.catch(() => undefined);
        position += bytesRead;
        this.onBytes?.(bytesRead);
      }
      // Gone: return so `finally` closes the file (a write to a gone client may never call back).
      if (this.destroyed || dest.destroyed) return;
      await inFlight;
      // Only now is no write using the buffers; on a failure they are left to the GC instead.
      giveBack(buffers);
      if (!this.destroyed) dest.end();
    } catch (err) {
      // A failed write means the client is gone; a failed read is ours to report.
      this.destroy(dest.destroyed ? undefined : (err as Error));
    } finally {
      streaming -= 1;
      this.reading = false;
      this.source.destroy();
    }
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // Close now unless a read is running on the descriptor (closing under it could let the number be
    // reused mid-read); the pump closes it as soon as that read returns. A write that never completes
    // (client gone) cannot hold the file open: we are not reading then, so it closes here.
    if (!this.reading) this.source.destroy();
    callback(err);
  }
}
