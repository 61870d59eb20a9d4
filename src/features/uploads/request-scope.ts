import { AsyncLocalStorage } from 'node:async_hooks';
import type { AppError } from '../../errors';
import type { Logger } from '../../logger';

/** A checksum the client sent for one PATCH body (tus checksum extension). */
export interface ExpectedChecksum {
  algorithm: 'sha1' | 'md5' | 'sha256';
  digest: Buffer;
}

/** What the tus store needs to know about the request it is serving, and is not told by @tus/server. */
export interface UploadRequestScope {
  userId: string;
  checksum: ExpectedChecksum | null;
  ip: string;
  userAgent: string;
  log: Logger;
  /** A known failure the store met (413, 507): the controller answers with it instead of @tus/server's text. */
  failure?: AppError;
  /**
   * The upload this POST created, until its creation-with-upload body is stored: if the request fails before
   * then, the client never learns the upload's URL, so nothing of it may remain (see discardRefusedCreation).
   */
  creating?: string;
  /** Whether the request body stopped before its end (the client went away): a cut body is not a whole one. */
  bodyCut?: () => boolean;
}

const storage = new AsyncLocalStorage<UploadRequestScope>();

/** Runs `work` with `scope` visible to the store through every await inside @tus/server. */
export function runInUploadScope<T>(scope: UploadRequestScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work);
}

/** The scope of the request being served, or null outside one (sweeps, start-up recovery). */
export function currentUploadScope(): UploadRequestScope | null {
  return storage.getStore() ?? null;
}
