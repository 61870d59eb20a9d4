import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { newId } from '../../src/lib/ids';
import type { FileRecord } from '../../src/repositories/files';
import type { User } from '../../src/repositories/users';
import type { TestApp } from './app';

/**
 * A file owned by `owner` with exactly `content`: the bytes go to their storage path and the row
 * through FileService.register (what the upload routes do after storing).
 */
export async function storeFile(
  t: TestApp,
  owner: User,
  content: Buffer,
  options: { name?: string; type?: string; visibility?: 'private' | 'public' } = {},
): Promise<FileRecord> {
  // Activity rows written after earlier requests would race the registration's SQLite transaction.
  await t.deps.activity.flush();
  const id = newId();
  const file = t.deps.storage.pathFor(id);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  const record = await t.deps.files.register({
    id,
    owner,
    name: options.name ?? 'data.bin',
    type: options.type ?? 'application/octet-stream',
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    storageKey: id,
  });
  if (options.visibility === 'public')
    return t.deps.files.update(id, owner, { visibility: 'public' });
  return record;
}

/** The SHA-256 of bytes, hex. */
export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
