import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { buildUser } from '../helpers/agents';
import { sha256, storeFile } from '../helpers/stored-files';
import { useServerAndBrowser } from './helpers/server';

describe('share links in Chromium', () => {
  const e2e = useServerAndBrowser();

  it('creates a password-protected link, opens it signed out, unlocks it and downloads identical bytes', async () => {
    const { user, password } = await buildUser(e2e.server.t);
    const content = randomBytes(700_000);
    const file = await storeFile(e2e.server.t, user, content, { name: 'Quarterly report ü.bin' });

    // The owner signs in and creates the link from the file page.
    const ownerContext = await e2e.browser.newContext();
    const owner = await ownerContext.newPage();
    await owner.goto(`${e2e.server.baseUrl}/login`);
    await owner.getByLabel('Username').fill(user.username);
    await owner.getByLabel('Password').fill(password);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.waitForURL(`${e2e.server.baseUrl}/files`);
    await owner.goto(`${e2e.server.baseUrl}/files/${file.id}`);
    await owner.getByLabel('Maximum downloads').fill('5');
    await owner.getByLabel('Password', { exact: true }).last().fill('open sesame');
    await owner.getByRole('button', { name: 'Create share link' }).click();
    await owner.waitForURL(`${e2e.server.baseUrl}/files/${file.id}#shares`);
    const shareUrl = await owner.getByTestId('share-url').first().inputValue();
    expect(shareUrl).toMatch(new RegExp(`^${e2e.server.baseUrl}/s/[A-Za-z0-9_-]{22,}$`));
    await expect(owner.getByTestId('share-item').first().textContent()).resolves.toContain(
      '0 of 5 downloads',
    );

    // Someone else, signed out, in a fresh context.
    const guestContext = await e2e.browser.newContext({ acceptDownloads: true });
    const guest = await guestContext.newPage();
    await guest.goto(shareUrl);
    await expect(guest.locator('h1').textContent()).resolves.toContain('protected');
    await guest.getByLabel('Password').fill('wrong password');
    await guest.getByRole('button', { name: 'Continue' }).click();
    await expect(guest.locator('.form-error').textContent()).resolves.toContain('wrong');
    await guest.getByLabel('Password').fill('open sesame');
    await guest.getByRole('button', { name: 'Continue' }).click();
    await guest.waitForURL(shareUrl);
    await expect(guest.getByTestId('file-name').textContent()).resolves.toBe(
      'Quarterly report ü.bin',
    );

    const [download] = await Promise.all([
      guest.waitForEvent('download'),
      guest.getByTestId('share-download').click(),
    ]);
    expect(download.suggestedFilename()).toBe('Quarterly report ü.bin');
    const saved = await download.path();
    expect(sha256(fs.readFileSync(saved!))).toBe(sha256(content));

    // The owner sees the download counted.
    await owner.reload();
    await expect(owner.getByTestId('share-item').first().textContent()).resolves.toContain(
      '1 of 5 downloads',
    );
    await expect(owner.getByTestId('download-count').textContent()).resolves.toContain(
      'Downloaded 1 time',
    );
    await guestContext.close();
    await ownerContext.close();
  });
});
