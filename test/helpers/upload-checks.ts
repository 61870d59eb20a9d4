import fs from 'node:fs';
import path from 'node:path';
import type { TestApp } from './app';

/** Every file under `dir` (recursively, hidden directories such as .tmp included), relative paths. */
export function walkFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      found.push(...walkFiles(full).map((name) => path.join(entry.name, name)));
    else found.push(entry.name);
  }
  return found;
}

/** Number of rows in the files table. */
export function fileRowCount(t: TestApp): Promise<number> {
  return t.deps.models.File.count();
}

/** Polls `check` until it returns true or `timeoutMs` passes (for effects that settle after a socket closes). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** The headers of a form upload to the API whose body streams in chunks, its length unknown beforehand. */
export function chunkedFormHeaders(auth: string, boundary: string): Record<string, string> {
  return {
    Authorization: auth,
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
    'Transfer-Encoding': 'chunked',
  };
}

/** The start of a multipart body: the part headers of the field `file` (with a Content-Type if one is given). */
export function filePartHead(boundary: string, filename: string, contentType?: string): string {
  const type = contentType ? `Content-Type: ${contentType}\r\n` : '';
  return `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n${type}\r\n`;
}
