import type fsp from 'node:fs/promises';

/** Bytes written between background flushes of a large put. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Starts a background fdatasync every FLUSH_EVERY_BYTES while a large file is written, so the disk works while
 * data still arrives and the final fsync only waits for the last stretch (instead of the whole file at the end).
 */
export class EarlyFlush {
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
