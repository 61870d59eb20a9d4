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
