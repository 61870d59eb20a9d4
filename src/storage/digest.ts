import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** The byte count and SHA-256 (hex) of a whole stream, read once (stored content is read from the page cache). */
export async function digestOf(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}
