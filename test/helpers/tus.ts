import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { TestApp } from './app';

export const TUS = { 'Tus-Resumable': '1.0.0' };
export const OCTETS = 'application/offset+octet-stream';

/** An Upload-Metadata header value from plain strings. */
export function tusMetadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** Creates an upload over the API and returns its id and URL path. */
export async function createUpload(
  t: TestApp,
  auth: string,
  size: number,
  metadata: Record<string, string> = {
    filename: 'report.bin',
    filetype: 'application/octet-stream',
  },
): Promise<{ id: string; url: string }> {
  const res = await request(t.server)
    .post('/api/uploads/')
    .set(TUS)
    .set('Authorization', auth)
    .set('Upload-Length', String(size))
    .set('Upload-Metadata', tusMetadata(metadata))
    .expect(201);
  const url = res.headers.location as string;
  return { id: url.split('/').pop() as string, url };
}

/** The headers of a tus PATCH of `length` bytes at `offset`, for a request whose body a test streams by hand. */
export function patchHeaders(auth: string, offset: number, length: number): Record<string, string> {
  return {
    ...TUS,
    Authorization: auth,
    'Content-Type': OCTETS,
    'Upload-Offset': String(offset),
    'Content-Length': String(length),
  };
}

/** A PATCH of `body` at `offset` to the upload at `url` (call .expect on it). */
export function patchUpload(
  target: Parameters<typeof request>[0],
  url: string,
  offset: number,
  body: Buffer,
  auth: string,
): request.Test {
  return request(target)
    .patch(url)
    .set(TUS)
    .set('Authorization', auth)
    .set('Content-Type', OCTETS)
    .set('Upload-Offset', String(offset))
    .send(body);
}

/** The path of an upload's partial data (mirrors src/storage/partial-uploads.ts). */
export function partialPath(t: TestApp, id: string): string {
  return path.join(t.uploadDir, '.uploads', `${id}.part`);
}

/**
 * How many of this process's descriptors are open for writing on `file` (Linux: /proc/self/fd and fdinfo), to
 * catch a leaked writer. Read-only ones are left out: the hashing thread keeps one on a partial file between
 * PATCHes, on purpose.
 */
export function writersOpenOn(file: string): number {
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== file) continue;
      const flags = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (parseInt(flags[1], 8) & 3) !== 0) count += 1; // O_WRONLY or O_RDWR
    } catch {
      // closed meanwhile (one of them is the descriptor readdir itself used)
    }
  }
  return count;
}

export function exists(file: string): boolean {
  return fs.existsSync(file);
}

export { sha256 } from './stored-files';
