import type { Page } from 'playwright-core';
import { buildUser } from '../helpers/agents';
import { storedFile } from '../helpers/stores';
import { useServerAndBrowser } from './helpers/server';

describe('comments journey in Chromium', () => {
  const e2e = useServerAndBrowser();

  async function signIn(page: Page, username: string, password: string, next: string) {
    await page.goto(`${e2e.server.baseUrl}/login?next=${encodeURIComponent(next)}`);
    await page.fill('#f-username', username);
    await page.fill('#f-password', password);
    await Promise.all([page.waitForURL(`**${next}`), page.click('form[action="/login"] button')]);
  }

  it('a second user comments on a public file; the owner sees the comment and the activity, then deletes it', async () => {
    const { t } = e2e.server;
    const owner = await buildUser(t);
    const visitor = await buildUser(t);
    const file = await storedFile(t, owner.user, { visibility: 'public', name: 'poster.txt' });
    const fileUrl = `/files/${file.id}`;

    // The visitor comments; a script-looking body and its line break come back as plain text.
    const visitorPage = await e2e.browser.newPage();
    await signIn(visitorPage, visitor.user.username, visitor.password, fileUrl);
    const body = 'Lovely poster!\n<b>not bold</b>';
    await visitorPage.fill('#f-comment-body', body);
    await Promise.all([
      visitorPage.waitForURL(`**${fileUrl}#comments`),
      visitorPage.click('[data-testid="comment-form"] button[type="submit"]'),
    ]);
    const shown = visitorPage.locator('[data-testid="comment-body"]');
    await expect(shown.textContent()).resolves.toBe(body);
    await expect(visitorPage.locator('[data-testid="comment-body"] b').count()).resolves.toBe(0);
    // white-space: pre-wrap keeps the line break visible: the rendered text has two lines.
    await expect(shown.evaluate((el) => (el as HTMLElement).innerText)).resolves.toBe(body);
    await visitorPage.close();

    // The owner sees the comment, its author, and the event in the file's activity and on /activity.
    const ownerPage = await e2e.browser.newPage();
    ownerPage.on('dialog', (dialog) => void dialog.accept());
    await signIn(ownerPage, owner.user.username, owner.password, fileUrl);
    const comment = ownerPage.locator('[data-testid="comment"]');
    await expect(comment.count()).resolves.toBe(1);
    await expect(comment.locator('.comment-author').textContent()).resolves.toBe(
      visitor.user.username,
    );
    await t.deps.activity.flush();
    await ownerPage.reload();
    const fileActivity = ownerPage.locator('[data-testid="file-activity"]');
    await expect(fileActivity.textContent()).resolves.toMatch(
      new RegExp(`${visitor.user.username}\\s+commented on\\s+poster.txt`),
    );
    await ownerPage.click('nav a[href="/activity"]');
    await expect(ownerPage.locator('[data-testid="activity-list"]').textContent()).resolves.toMatch(
      new RegExp(`${visitor.user.username}\\s+commented on\\s+poster.txt`),
    );

    // The owner deletes the comment (confirming the dialog); it is gone from the page and the store.
    await ownerPage.goto(`${e2e.server.baseUrl}${fileUrl}`);
    await Promise.all([
      ownerPage.waitForURL(`**${fileUrl}#comments`),
      ownerPage.click('[data-testid="comment-delete"] button'),
    ]);
    await expect(ownerPage.locator('.flash-success').textContent()).resolves.toContain(
      'Comment deleted.',
    );
    await expect(ownerPage.locator('[data-testid="comment"]').count()).resolves.toBe(0);
    expect(await t.deps.models.Comment.count({ where: { fileId: file.id } })).toBe(0);
    await ownerPage.close();
  });
});
