import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { HashJob, ParallelSha256 } from '../../storage/parallel-hash';

interface Entry {
  job: HashJob;
  offset: number;
  touched: number;
}

/**
 * The running SHA-256 of each upload this instance is receiving, with the offset it has reached, so the
 * digest is ready when the last byte lands. The hash state lives on the hashing thread (one job per upload),
 * so hashing runs on another core than the request parsing. An entry that does not match the upload's
 * offset (bytes went to another instance, the process restarted, a chunk was refused) is useless: the
 * completion then rehashes the partial file.
 */
export class HashCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly hasher: ParallelSha256) {}

  /** The hash positioned at `offset` (taken out of the cache), a new one at 0, or null when it is lost. */
  take(id: string, offset: number): HashJob | null {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (entry && entry.offset === offset) return entry.job;
    entry?.job.abort();
    return offset === 0 ? this.hasher.start() : null;
  }

  /** Keeps `job` as the state of `id` after `offset` bytes. */
  put(id: string, job: HashJob, offset: number): void {
    this.entries.set(id, { job, offset, touched: Date.now() });
  }

  /**
   * The hex digest when the cached hash covers exactly `size` bytes, else null (also when the hashing thread
   * failed). Takes the entry out: a retry of the completion rehashes the file.
   */
  async digestAt(id: string, size: number): Promise<string | null> {
    const entry = this.entries.get(id);
    if (!entry || entry.offset !== size) return null;
    this.entries.delete(id);
    return entry.job.digest().catch(() => {
      entry.job.abort();
      return null;
    });
  }

  /** Forgets `id` and frees its state on the hashing thread. */
  delete(id: string): void {
    this.entries.get(id)?.job.abort();
    this.entries.delete(id);
  }

  /** Drops entries idle for longer than `maxIdleMs` (their uploads expired or moved elsewhere). */
  prune(maxIdleMs: number): void {
    const before = Date.now() - maxIdleMs;
    for (const [id, entry] of this.entries) if (entry.touched < before) this.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** SHA-256 (hex) of a whole stream. */
export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
