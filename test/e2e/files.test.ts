import fs from 'node:fs';
import { buildUser } from '../helpers/agents';
import { useServerAndBrowser } from './helpers/server';

describe('files journey in Chromium', () => {
  const e2e = useServerAndBrowser();

  it('signs in, uploads two files, sees them listed, opens one, renames it and deletes it', async () => {
    const { t } = e2e.server;
    const { user, password } = await buildUser(t);
    const page = await e2e.browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());

    await page.goto(`${e2e.server.baseUrl}/login?next=/files/new`);
    await page.fill('#f-username', user.username);
    await page.fill('#f-password', password);
    await Promise.all([
      page.waitForURL('**/files/new'),
      page.click('form[action="/login"] button'),
    ]);

    await page.setInputFiles('[data-testid="upload-form"] input[type="file"]', [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Remember the milk.\n') },
      { name: 'café menu.csv', mimeType: 'text/csv', buffer: Buffer.from('dish,price\nsoup,4\n') },
    ]);
    await Promise.all([
      page.waitForURL(/\/files$/),
      page.click('[data-testid="upload-form"] button[type="submit"]'),
    ]);
    await expect(page.locator('.flash-success').textContent()).resolves.toContain(
      'Uploaded 2 files',
    );
    await expect(page.locator('[data-testid="file-row"]').count()).resolves.toBe(2);
    await expect(page.locator('table').textContent()).resolves.toContain('café menu.csv');

    await Promise.all([
      page.waitForURL(/\/files\/[A-Za-z0-9_-]{22}$/),
      page.click('table a:has-text("notes.txt")'),
    ]);
    await expect(page.locator('[data-testid="text-preview"]').textContent()).resolves.toBe(
      'Remember the milk.\n',
    );
    const fileUrl = page.url();

    await page.fill('[data-testid="rename-form"] input[name="name"]', 'shopping.txt');
    await Promise.all([page.waitForURL(fileUrl), page.click('[data-testid="rename-form"] button')]);
    await expect(page.locator('[data-testid="file-name"]').textContent()).resolves.toBe(
      'shopping.txt',
    );

    const id = fileUrl.split('/').pop()!;
    const row = await t.deps.models.File.findByPk(id);
    const contentPath = t.deps.storage.pathFor(row!.storageKey);
    expect(fs.existsSync(contentPath)).toBe(true);
    // The delete form asks for confirmation first (accepted by the dialog handler above).
    await Promise.all([
      page.waitForURL(/\/files$/),
      page.click('[data-testid="delete-form"] button'),
    ]);
    await expect(page.locator('.flash-success').textContent()).resolves.toContain(
      'Deleted shopping.txt',
    );
    await expect(page.locator('[data-testid="file-row"]').count()).resolves.toBe(1);
    expect(await t.deps.models.File.findByPk(id)).toBeNull();
    expect(fs.existsSync(contentPath)).toBe(false);
    await page.close();
  });
});
