import fsp from 'node:fs/promises';
import path from 'node:path';
import { isWellFormedId } from '../lib/ids';

const SHARD = /^[A-Za-z0-9_-]{2}$/;

/** Keys of the contents under the storage `root` last written before `before` (for the orphaned-content sweep). */
export async function* storedKeys(root: string, before: Date): AsyncGenerator<string> {
  const shards = await fsp.readdir(root, { withFileTypes: true }).catch(() => []);
  for (const shard of shards) {
    if (!shard.isDirectory() || !SHARD.test(shard.name)) continue;
    const dir = path.join(root, shard.name);
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!isWellFormedId(name) || !name.startsWith(shard.name)) continue;
      const stats = await fsp.stat(path.join(dir, name)).catch(() => null);
      if (stats?.isFile() && stats.mtime < before) yield name;
    }
  }
}
