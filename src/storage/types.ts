import type { Readable, Writable } from 'node:stream';
import type { TempSweepResult } from './temp-janitor';

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

/** The size and last write time of stored content. */
export interface StoredStat {
  size: number;
  mtime: Date;
}

/**
 * Positioned reads of one stored object, for content delivery: the caller brings the buffer (pooled), so a
 * download allocates nothing per chunk. `read` takes a callback, as the hot path of every download.
 */
export interface ObjectReader {
  /** Reads up to `length` bytes at `position` into the start of `buffer`; 0 bytes means the object ended. */
  read(
    buffer: Buffer,
    length: number,
    position: number,
    done: (err: Error | null, bytesRead: number) => void,
  ): void;
  /** Releases the object (a descriptor, a connection); called once, after the last read finished. */
  close(): void;
}

/** An unfinished upload found in storage (for the expiry sweep). */
export interface HeldUpload {
  id: string;
  mtime: Date;
  size: number;
}

/** Where file contents live. Keys are ids we generated, never user-supplied names. */
export interface ObjectStore {
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
  /** Streams the content (or one range of it); rejects with StorageNotFound when the key is empty. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Opens the content for positioned reads; rejects with StorageNotFound when the key is empty. */
  open(key: string): Promise<ObjectReader>;
  stat(key: string): Promise<StoredStat | null>;
  /** Removes the content; removing a missing key is not an error. */
  remove(key: string): Promise<void>;
  /** Keys of contents last written before `before` (the orphaned-content sweep). */
  keys(before: Date): AsyncIterable<string>;
  /** Removes staged bytes whose writer is gone (a crash mid-write). */
  sweepTemp(): Promise<TempSweepResult>;
  /** Bytes the backend can still take, or null when it has no such limit to report. */
  freeBytes(): Promise<number | null>;
}

/**
 * One request's writing into a resumable upload: pipe the body into `sink`, then `settle()` for the bytes the
 * upload holds now; `close()` always, also after a failure (it may be called more than once).
 */
export interface UploadWriter {
  sink: Writable;
  /** Cuts off anything an earlier request left past what the sink wrote; resolves with the upload's length. */
  settle(): Promise<number>;
  close(): Promise<void>;
}

/** How `append` reports progress a crash cannot take back. */
export interface AppendOptions {
  /** Hears of each length the upload is known to hold durably (a background sync finished). */
  onDurable?: (length: number) => void;
}

/** The bytes of unfinished resumable uploads, by upload id (ids we generated). */
export interface ResumableUploads {
  /** Starts an empty upload; fails if the id exists (ids are never reused). */
  create(id: string): Promise<void>;
  /** Opens the upload for writing at `offset` (see UploadWriter). */
  append(id: string, offset: number, options?: AppendOptions): Promise<UploadWriter>;
  /** The bytes the upload holds (what a crash leaves of it), or null when there is no such upload. */
  offset(id: string): Promise<number | null>;
  /** Cuts the upload back to `length` bytes (a chunk whose checksum did not match is forgotten). */
  truncate(id: string, length: number): Promise<void>;
  /**
   * Makes the upload's bytes, durably, the content of `key` and says what they are (size, SHA-256 read from
   * them); null when neither the upload nor the content is there. Repeatable: once moved, it describes the key.
   */
  complete(id: string, key: string): Promise<{ size: number; sha256: string } | null>;
  /** Removes the upload (aborted or expired); a missing one is not an error. */
  remove(id: string): Promise<void>;
  /** Every upload held, with its last write time (the expiry sweep's orphans). */
  list(): Promise<HeldUpload[]>;
  /** How many uploads are held and their bytes (what a full disk owes to them). */
  usage(): Promise<{ count: number; bytes: number }>;
}

/** The storage the app is given: whole objects, and resumable uploads that complete into objects. */
export interface Storage extends ObjectStore {
  readonly uploads: ResumableUploads;
  /** Starts background duties (the staging heartbeat) before any upload is accepted. */
  start(): Promise<void>;
  /** Stops them and any helper thread (shutdown). */
  close(): Promise<void>;
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
