import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';

interface Entry {
  hash: Hash;
  offset: number;
  touched: number;
}

/**
 * The running SHA-256 of each upload this instance is receiving, with the offset it has reached, so the
 * digest is ready when the last byte lands. An entry that does not match the upload's offset (bytes went to
 * another instance, or the process restarted) is useless: the completion then rehashes the partial file.
 */
export class HashCache {
  private readonly entries = new Map<string, Entry>();

  /** The hash positioned at `offset` (taken out of the cache), a new one at 0, or null when it is lost. */
  take(id: string, offset: number): Hash | null {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (entry && entry.offset === offset) return entry.hash;
    return offset === 0 ? createHash('sha256') : null;
  }

  /** Keeps `hash` as the state of `id` after `offset` bytes. */
  put(id: string, hash: Hash, offset: number): void {
    this.entries.set(id, { hash, offset, touched: Date.now() });
  }

  /** The hex digest when the cached hash covers exactly `size` bytes, else null. */
  digestAt(id: string, size: number): string | null {
    const entry = this.entries.get(id);
    if (!entry || entry.offset !== size) return null;
    return entry.hash.copy().digest('hex');
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  /** Drops entries idle for longer than `maxIdleMs` (their uploads expired or moved elsewhere). */
  prune(maxIdleMs: number): void {
    const before = Date.now() - maxIdleMs;
    for (const [id, entry] of this.entries) if (entry.touched < before) this.entries.delete(id);
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
