import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { buildUser } from '../helpers/agents';
import { sha256 } from '../helpers/tus';
import { useServerAndBrowser } from './helpers/server';

const SIZE = 20 * 1024 * 1024;

describe('resumable uploader in Chromium', () => {
  const e2e = useServerAndBrowser();
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-e2e-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Upload bandwidth of the page, through the DevTools protocol (-1: unthrottled). */
  async function throttle(page: Page, bytesPerSecond: number) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: bytesPerSecond,
    });
  }

  it('uploads 20 MiB, survives a reload mid-way, resumes from where it stopped and lists the file', async () => {
    const { t } = e2e.server;
    const { user, password } = await buildUser(t);
    const data = randomBytes(SIZE);
    const file = path.join(dir, 'holiday video.mp4');
    fs.writeFileSync(file, data);

    const page = await e2e.browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (err) => failures.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && failures.push(msg.text()));
    await page.goto(`${e2e.server.baseUrl}/login?next=/files/new`);
    await page.fill('#f-username', user.username);
    await page.fill('#f-password', password);
    await Promise.all([
      page.waitForURL('**/files/new'),
      page.click('form[action="/login"] button'),
    ]);
    await expect(page.locator('#resumable-uploader').isVisible()).resolves.toBe(true);
    // The plain form is still there for browsers without JavaScript.
    await expect(page.locator('[data-testid="upload-form"]').count()).resolves.toBe(1);

    await throttle(page, 4 * 1024 * 1024);
    await page.setInputFiles('#tus-files', file);
    const item = page.locator('.upload-item').first();
    await page.waitForFunction(
      () => Number(document.querySelector('.upload-item')?.getAttribute('data-progress')) >= 50,
      undefined,
      { timeout: 30_000 },
    );
    await expect(item.locator('[data-status]').textContent()).resolves.toMatch(/MiB\/s · .* left/);

    await page.reload();
    const rows = await t.deps.models.Upload.findAll();
    expect(rows).toHaveLength(1);
    await page.waitForFunction(() =>
      document.querySelector('[data-unfinished]')?.textContent?.includes('holiday video.mp4'),
    );
    // What the server kept while the page was away (a chunk boundary or where the PATCH was cut off).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const kept = Number((await t.deps.models.Upload.findByPk(rows[0].id))?.uploadOffset);
    expect(kept).toBeGreaterThan(0);

    await throttle(page, -1);
    await page.setInputFiles('#tus-files', file);
    await page.waitForSelector('.upload-item[data-done="true"]', { timeout: 60_000 });
    await expect(page.locator('.upload-item').first().getAttribute('data-resumed')).resolves.toBe(
      'true',
    );
    expect(await t.deps.models.Upload.count()).toBe(1);

    const id = rows[0].id;
    const link = page.locator('.upload-item a[data-open]');
    await expect(link.getAttribute('href')).resolves.toBe(`/files/${id}`);
    const stored = await t.deps.files.findVisible(id, user);
    expect(stored).toMatchObject({ name: 'holiday video.mp4', size: SIZE, sha256: sha256(data) });

    await page.goto(`${e2e.server.baseUrl}/files`);
    await expect(page.locator('table').textContent()).resolves.toContain('holiday video.mp4');
    expect(failures).toEqual([]);
    await page.close();
  });
});
