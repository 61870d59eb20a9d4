import { createHash, timingSafeEqual } from 'node:crypto';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { UploadRepository } from './repository';
import type { ResumableUploads, UploadWriter } from '../../storage/types';
import type { ReserveUpload } from './reservation';
import { currentUploadScope, type ExpectedChecksum } from './request-scope';

/** The tus error a failed Upload-Checksum gets (460 is the status the checksum extension defines). */
export const CHECKSUM_MISMATCH = { status_code: 460, body: 'Checksum Mismatch\n' };

/** The tus answer to a creation-with-upload whose body was cut (nobody receives it: the client is gone). */
const CREATION_CUT = {
  status_code: 400,
  body: 'The upload was interrupted before its creation finished.\n',
};

/** What receiving a body did: the bytes that passed, their checksum when one was expected, the failure. */
interface Received {
  bytes: number;
  checksum: Buffer | null;
  error: unknown;
}

/** Everything the store works with. */
export interface TusStoreDeps {
  uploads: UploadRepository;
  partials: ResumableUploads;
  /** Creates the row if the owner's quota holds it (413 otherwise). */
  reserve: ReserveUpload;
  metrics: Metrics;
  expiryMs: number;
  /** Removes an upload that is not a file yet (row and partial data). */
  discard(id: string): Promise<void>;
  logger: Logger;
}

/**
 * A tus DataStore of our own: bytes in the storage's resumable uploads, state (owner, offset, metadata) in the
 * `uploads` table; the file's SHA-256 is the storage's, at completion.
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
      const onDisk = await this.deps.partials.offset(id);
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

  /** One PATCH body: receive it into the upload, then settle the offset it reached (recorded in the row). */
  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const expected = currentUploadScope()?.checksum ?? null;
    // Bytes a background sync made durable are recorded at once, so a crash mid-PATCH resumes from there. Not
    // with a checksum: those bytes count only once the whole body matched.
    const onDurable = expected ? undefined : (durable: number) => this.recordDurable(id, durable);
    const writer = await this.deps.partials.append(id, offset, { onDurable });
    try {
      const received = await this.receive(stream, writer.sink, expected);
      const newOffset = await this.settle(id, offset, writer, received, expected);
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

  /**
   * Records the offset the body reached: after a failure, what reached the file (tus resumes from there); after a
   * checksum mismatch, the offset before it (the chunk is cut off again); else the end of the body.
   */
  private async settle(
    id: string,
    offset: number,
    writer: UploadWriter,
    received: Received,
    expected: ExpectedChecksum | null,
  ): Promise<number> {
    const onDisk = await writer.settle();
    // Closing changes no byte: the file closes while the offset is recorded (errors surface below).
    writer.close().catch(() => undefined);
    if (received.error) {
      await this.recordOffset(id, offset, Math.min(onDisk, offset + received.bytes));
      throw received.error;
    }
    if (expected && received.checksum && !timingSafeEqualDigest(received.checksum, expected)) {
      await this.deps.partials.truncate(id, offset);
      throw CHECKSUM_MISMATCH;
    }
    const newOffset = offset + received.bytes;
    await this.recordOffset(id, offset, newOffset);
    return newOffset;
  }

  private async recordOffset(id: string, from: number, to: number): Promise<void> {
    await this.deps.uploads.setOffset(id, to);
    this.deps.metrics.bytesUploaded.inc(Math.max(0, to - from));
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
  ): Promise<Received> {
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

  override declareUploadLength(): Promise<void> {
    return Promise.reject(ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION);
  }

  override deleteExpired(): Promise<number> {
    return Promise.resolve(0); // the upload sweeper does this on its own schedule (it also removes orphaned partial files)
  }

  override getExpiration(): number {
    return this.deps.expiryMs;
  }
}

function timingSafeEqualDigest(actual: Buffer, expected: ExpectedChecksum): boolean {
  return actual.length === expected.digest.length && timingSafeEqual(actual, expected.digest);
}
