import type { Readable } from 'node:stream';

/** What `put` stored: the key, the byte count and the SHA-256 (hex) computed while streaming. */
export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
}

/** Bytes written and synced but not yet under a key (see Storage.stage). */
export interface StagedObject {
  size: number;
  sha256: string;
  /** Where the bytes wait; opaque to callers. */
  token: string;
}

/** An inclusive byte range, as in HTTP: bytes `start` to `end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredStat {
  size: number;
  mtime: Date;
}

/** Where file contents live. Keys are ids we generated, never user-supplied names. */
export interface Storage {
  /** Streams `source` in under `key`; nothing is visible under the key unless the whole stream arrived. */
  put(key: string, source: Readable, options?: { maxBytes?: number }): Promise<StoredObject>;
  /**
   * Streams `source` into a staging place that no key shows and that a crash leaves to the sweeps: a request
   * of several files commits all of them together once all have arrived, then registers them at once.
   */
  stage(source: Readable, options?: { maxBytes?: number }): Promise<StagedObject>;
  /** Makes staged bytes the content of `key` (an atomic rename). */
  commit(staged: StagedObject, key: string): Promise<void>;
  /** Drops staged bytes that will never be committed; a missing one is not an error. */
  discard(staged: StagedObject): Promise<void>;
  /** Opens the content (or one range of it); rejects with StorageNotFound when the key is empty. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredStat | null>;
  /** Removes the content; removing a missing key is not an error. */
  remove(key: string): Promise<void>;
}

/** The key holds nothing. */
export class StorageNotFound extends Error {
  override name = 'StorageNotFound';
}

/** The stream was longer than `maxBytes`; nothing was kept. */
export class StorageLimitExceeded extends Error {
  override name = 'StorageLimitExceeded';
  constructor(readonly maxBytes: number) {
    super(`content is larger than ${maxBytes} bytes`);
  }
}
