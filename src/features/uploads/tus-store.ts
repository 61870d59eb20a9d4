import { createHash, timingSafeEqual } from 'node:crypto';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { UploadRepository } from './repository';
import type { PartialUploads } from '../../storage/partial-uploads';
import type { HashCache } from './hash-cache';
import type { ReserveUpload } from './reservation';
import { currentUploadScope, type ExpectedChecksum } from './request-scope';

/** The tus error a failed Upload-Checksum gets (460 is the status the checksum extension defines). */
export const CHECKSUM_MISMATCH = { status_code: 460, body: 'Checksum Mismatch\n' };

/** The tus answer to a creation-with-upload whose body was cut (nobody receives it: the client is gone). */
const CREATION_CUT = {
  status_code: 400,
  body: 'The upload was interrupted before its creation finished.\n',
};

/** File bytes handed to the hashing thread per message while a PATCH streams in. */
const HASH_RANGE_BYTES = 8 * 1024 * 1024;

/** Everything the store works with. */
export interface TusStoreDeps {
  uploads: UploadRepository;
  partials: PartialUploads;
  hashes: HashCache;
  /** Creates the row if the owner's quota holds it (413 otherwise). */
  reserve: ReserveUpload;
  metrics: Metrics;
  expiryMs: number;
  /** Removes an upload that is not a file yet (row, partial data, cached hash). */
  discard(id: string): Promise<void>;
  logger: Logger;
}

/**
 * A tus DataStore of our own: bytes in partial files through the storage module, state (owner, offset,
 * metadata) in the `uploads` table, and the file's SHA-256 computed while the bytes stream in.
 */
export class DepotTusStore extends DataStore {
  constructor(private readonly deps: TusStoreDeps) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'checksum', 'expiration'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const scope = currentUploadScope();
    // The owner comes from the authenticated request, never from client metadata.
    if (!scope) throw ERRORS.UNKNOWN_ERROR;
    if (upload.size === undefined) throw ERRORS.INVALID_LENGTH;
    // The file first and outside the transaction; a refused reservation takes it away again.
    await this.deps.partials.create(upload.id);
    try {
      const record = await this.deps.reserve({
        id: upload.id,
        ownerId: scope.userId,
        size: upload.size,
        metadata: upload.metadata ?? {},
      });
      upload.creation_date = record.updatedAt.toISOString();
      // Without a body the creation is complete here; with one, only once write() stored it.
      scope.creating = upload.id;
      return upload;
    } catch (err) {
      await this.deps.partials.remove(upload.id);
      throw err;
    }
  }

  override async getUpload(id: string): Promise<Upload> {
    const record = await this.deps.uploads.find(id);
    const scope = currentUploadScope();
    if (!record || (scope && scope.userId !== record.ownerId)) throw ERRORS.FILE_NOT_FOUND;
    let offset = record.size;
    if (record.status === 'receiving') {
      // The row is written after the bytes: trust the smaller of the two after a crash.
      const onDisk = await this.deps.partials.size(id);
      if (onDisk === null) throw ERRORS.FILE_NO_LONGER_EXISTS;
      offset = Math.min(record.offset, onDisk);
    }
    return new Upload({
      id,
      size: record.size,
      offset,
      metadata: record.metadata,
      // @tus/server counts expiry from creation_date; ours counts from the last activity.
      creation_date: record.updatedAt.toISOString(),
      storage: { type: 'depot', path: id },
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const expected = currentUploadScope()?.checksum ?? null;
    const running = this.deps.hashes.take(id, offset);
    const path = this.deps.partials.pathFor(id);
    // Without a checksum every written byte is kept: the hashing thread reads the file back as it grows
    // (HASH_RANGE_BYTES at a time). With one, the bytes are hashed only once they are accepted, so a refused
    // chunk never reaches the hash. `fed`: where the ranges given to the hashing thread end.
    let fed = offset;
    const hashAsWritten =
      running && !expected
        ? async (position: number, length: number) => {
            if (position + length - fed < HASH_RANGE_BYTES) return;
            const from = fed;
            fed = position + length;
            await new Promise<void>((ready) =>
              running.updateFromFile(path, from, fed - from, ready),
            );
          }
        : undefined;
    // Bytes a background sync made durable are recorded at once, so a crash mid-PATCH resumes from there. Not
    // with a checksum: those bytes count only once the whole body matched.
    const synced = expected ? undefined : (durable: number) => this.recordDurable(id, durable);
    const writer = await this.deps.partials.openAt(id, offset, hashAsWritten, synced);
    try {
      const received = await this.receive(stream, writer.sink, expected);
      const onDisk = await writer.trim();
      // Closing changes no byte: the file closes while the offset is recorded (errors surface below).
      writer.close().catch(() => undefined);
      const keep = (kept: number) => {
        if (!running) return;
        // The hash follows what the sink wrote; should the offset differ, it is useless (completion rehashes).
        if (!expected && kept !== onDisk) return running.abort();
        running.updateFromFile(path, fed, kept - fed, () => undefined);
        this.deps.hashes.put(id, running, kept);
      };
      if (received.error) {
        // Keep what reached the file (tus resumes from there).
        const kept = Math.min(onDisk, offset + received.bytes);
        await this.deps.uploads.setOffset(id, kept);
        this.deps.metrics.bytesUploaded.inc(Math.max(0, kept - offset));
        keep(kept);
        throw received.error;
      }
      if (expected && received.checksum && !timingSafeEqualDigest(received.checksum, expected)) {
        await this.deps.partials.truncate(id, offset);
        keep(offset);
        throw CHECKSUM_MISMATCH;
      }
      const newOffset = offset + received.bytes;
      await this.deps.uploads.setOffset(id, newOffset);
      this.deps.metrics.bytesUploaded.inc(received.bytes);
      keep(newOffset);
      const scope = currentUploadScope();
      if (scope?.creating === id) {
        // A creation whose client left mid-body never gets its Location: refused, so nothing of it stays.
        if (scope.bodyCut?.()) throw CREATION_CUT;
        scope.creating = undefined;
      }
      return newOffset;
    } finally {
      await writer.close();
    }
  }

  /** Raises the recorded offset to bytes known to be on disk (never lowers it); a failure only costs a resend. */
  private recordDurable(id: string, durable: number): void {
    this.deps.uploads.advanceOffset(id, durable).catch((err: unknown) => {
      this.deps.logger.warn({ err, uploadId: id }, 'durable offset not recorded');
    });
  }

  /** Streams the body into the partial file, checksumming as it goes; resolves (never rejects) with what happened. */
  private async receive(
    stream: Readable,
    sink: Writable,
    expected: ExpectedChecksum | null,
  ): Promise<{ bytes: number; checksum: Buffer | null; error: unknown }> {
    const checksum = expected ? createHash(expected.algorithm) : null;
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        checksum?.update(chunk);
        done(null, chunk);
      },
    });
    this.deps.metrics.activeUploads.inc();
    try {
      await pipeline(stream, tap, sink);
      return { bytes, checksum: checksum ? checksum.digest() : null, error: null };
    } catch (error) {
      return { bytes, checksum: null, error };
    } finally {
      this.deps.metrics.activeUploads.dec();
    }
  }

  override async remove(id: string): Promise<void> {
    const record = await this.deps.uploads.find(id);
    if (!record) throw ERRORS.FILE_NOT_FOUND;
    await this.deps.discard(id);
  }

  override async declareUploadLength(): Promise<void> {
    throw ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION;
  }

  override async deleteExpired(): Promise<number> {
    return 0; // the upload sweeper does this on its own schedule (it also removes orphaned partial files)
  }

  override getExpiration(): number {
    return this.deps.expiryMs;
  }
}

function timingSafeEqualDigest(actual: Buffer, expected: ExpectedChecksum): boolean {
  return actual.length === expected.digest.length && timingSafeEqual(actual, expected.digest);
}
