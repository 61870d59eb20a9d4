import type { IncomingMessage } from 'node:http';
import type { StorageEngine } from 'multer';
import { newId } from '../../lib/ids';
import { StorageLimitExceeded, type StagedObject, type Storage } from '../../storage/types';

/** One form part streamed into storage, staged under no key until the whole request has arrived. */
export interface StoredPart {
  key: string;
  size: number;
  sha256: string;
  originalName: string;
  mimeType: string;
  staged: StagedObject;
}

/** Why a part was refused: its own size, or the user's quota. */
export type PartLimit = 'file-size' | 'quota';

/** The state of one multipart request: its limits, what it stored so far, and the writes still running. */
export class FormUploadState {
  /** Stored parts in the order they appeared in the form (small parts can finish out of order). */
  readonly stored: StoredPart[] = [];
  readonly pending = new Set<Promise<unknown>>();
  limitHit: PartLimit | null = null;
  bytes = 0;
  private started = 0;
  private readonly positions = new Map<StoredPart, number>();

  constructor(readonly limits: { maxFileBytes: number; remainingQuota: number }) {}

  /** The most the next part may hold: its own limit, or whatever is left of the quota after earlier parts. */
  nextPartLimit(): { maxBytes: number; limit: PartLimit } {
    const quotaLeft = Math.max(0, this.limits.remainingQuota - this.bytes);
    return quotaLeft < this.limits.maxFileBytes
      ? { maxBytes: quotaLeft, limit: 'quota' }
      : { maxBytes: this.limits.maxFileBytes, limit: 'file-size' };
  }

  /** Numbers the next part, so the stored list keeps the form's order. */
  nextPosition(): number {
    return this.started++;
  }

  /** Records a stored part at its place in the form. */
  add(part: StoredPart, position: number): void {
    this.bytes += part.size;
    this.positions.set(part, position);
    const at = this.stored.findIndex((other) => (this.positions.get(other) ?? 0) > position);
    this.stored.splice(at === -1 ? this.stored.length : at, 0, part);
  }

  /** Resolves once every write of this request has finished or failed (and removed its temp file). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}

type Outcome = { stored: StoredPart } | { error: unknown };

/**
 * A multer StorageEngine that streams each part straight into `storage.stage` (the key it will get is chosen
 * now), so the SHA-256 is computed on the way and nothing is buffered. Limits come from the request's
 * FormUploadState. Parts stay staged until the caller commits them all (see commitParts).
 */
export function createStreamingEngine(
  storage: Storage,
  states: WeakMap<IncomingMessage, FormUploadState>,
): StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const state = states.get(req);
      if (!state) return callback(new Error('multipart request without an upload state'));
      const { maxBytes, limit } = state.nextPartLimit();
      const key = newId();
      const position = state.nextPosition();
      const work: Promise<Outcome> = storage.stage(file.stream, { maxBytes }).then(
        (staged) => ({
          stored: {
            key,
            size: staged.size,
            sha256: staged.sha256,
            originalName: file.originalname,
            mimeType: file.mimetype,
            staged,
          },
        }),
        (error: unknown) => ({ error }),
      );
      state.pending.add(work);
      void work.then((outcome) => {
        state.pending.delete(work);
        if ('error' in outcome) {
          if (outcome.error instanceof StorageLimitExceeded) state.limitHit ??= limit;
          return callback(outcome.error);
        }
        state.add(outcome.stored, position);
        callback(null, { size: outcome.stored.size, filename: key });
      });
    },
    _removeFile(req, file, callback) {
      const part = states.get(req)?.stored.find((stored) => stored.key === file.filename);
      const removal = part ? storage.discard(part.staged) : storage.remove(file.filename);
      removal.then(() => callback(null), callback);
    },
  };
}

/**
 * Commits every staged part under its key, or none: on a failure the committed ones are removed and the
 * rest discarded. Staged bytes left by a crash are the temp sweep's; committed ones wait only for their rows.
 */
export async function commitParts(storage: Storage, parts: StoredPart[]): Promise<void> {
  let committed = 0;
  try {
    for (const part of parts) {
      await storage.commit(part.staged, part.key);
      committed += 1;
    }
  } catch (err) {
    await Promise.allSettled(parts.slice(0, committed).map((part) => storage.remove(part.key)));
    await Promise.allSettled(parts.slice(committed).map((part) => discardPart(storage, part)));
    throw err;
  }
}

/** Drops a part that was never committed. */
export function discardPart(storage: Storage, part: StoredPart): Promise<void> {
  return storage.discard(part.staged);
}
