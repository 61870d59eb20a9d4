import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { newId } from '../../src/lib/ids';
import type { FileRecord } from '../../src/features/files/repository';
import type { User } from '../../src/features/accounts/users-repository';
import type { TestApp } from './app';

/**
 * A file owned by `owner` with exactly `content`: the bytes through storage.put and the row through
 * FileService.register, as the upload routes do.
 */
export async function storeFile(
  t: TestApp,
  owner: User,
  content: Buffer,
  options: { name?: string; type?: string; visibility?: 'private' | 'public' } = {},
): Promise<FileRecord> {
  const id = newId();
  const stored = await t.deps.storage.put(id, Readable.from([content]));
  const record = await t.deps.files.register({
    id,
    owner,
    name: options.name ?? 'data.bin',
    type: options.type ?? 'application/octet-stream',
    size: stored.size,
    sha256: stored.sha256,
    storageKey: stored.key,
  });
  if (options.visibility === 'public')
    return t.deps.files.update(id, owner, { visibility: 'public' });
  return record;
}

/** The SHA-256 of bytes, hex. */
export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
