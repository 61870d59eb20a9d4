/**
 * Takes docs/home.png, the README's picture of the home page: the real app on a temp database with a
 * few public files, in Debian's Chromium through playwright-core.
 *
 *   npx tsx docs/screenshot.ts
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { newId } from '../src/lib/ids';
import { launchBrowser } from '../test/e2e/helpers/browser';
import { startServer } from '../test/e2e/helpers/server';

const FILES: [string, string, number][] = [
  ['field-recordings-march.flac', 'audio/flac', 48_318_202],
  ['kitchen-plans-v3.pdf', 'application/pdf', 2_410_003],
  ['team-photo.jpg', 'image/jpeg', 3_912_554],
  ['release-notes.txt', 'text/plain', 18_220],
];

async function main(): Promise<void> {
  const server = await startServer();
  const { deps } = server.t;
  const owner = await deps.accounts.register({ username: 'marta', password: 'a long password' });
  for (const [name, type, size] of FILES) {
    const key = newId();
    // Small stand-in content; the listed size is what the page shows.
    const stored = await deps.storage.put(key, Readable.from([Buffer.from(name)]), {
      maxBytes: 1024,
    });
    await deps.files.register({
      id: key,
      owner,
      name,
      type,
      size,
      sha256: stored.sha256,
      storageKey: key,
    });
    await deps.files.update(key, owner, { visibility: 'public' });
  }
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    await page.goto(`${server.baseUrl}/`);
    await page.screenshot({ path: path.join(__dirname, 'home.png') });
  } finally {
    await browser.close();
    await server.stop();
  }
}

void main();
