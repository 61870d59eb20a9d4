import type { Page } from 'playwright-core';
import { useServerAndBrowser } from './helpers/server';

const USERNAME = 'e2e_alice';
const PASSWORD = 'correct horse battery';

describe('accounts in Chromium', () => {
  const e2e = useServerAndBrowser();
  let page: Page;

  beforeAll(async () => {
    page = await e2e.browser.newPage();
  });

  const currentUser = () => page.getByTestId('current-user');
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${e2e.server.baseUrl}/`);
    await expect(page.locator('.flash').textContent()).resolves.toContain('You have signed out.');
    expect(await currentUser().count()).toBe(0);
  };

  it('registers, signs out, signs in, shows the name, signs out', async () => {
    await page.goto(`${e2e.server.baseUrl}/`);
    await page.getByRole('link', { name: 'Create account' }).first().click();
    await page.waitForURL(`${e2e.server.baseUrl}/register`);

    // A mismatch first: the error is shown beside the field and the username is kept.
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill('something else');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.locator('#e-confirm').textContent()).resolves.toBe(
      'The passwords do not match.',
    );
    await expect(page.getByLabel('Username').inputValue()).resolves.toBe(USERNAME);
    await expect(page.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${e2e.server.baseUrl}/files`);
    await expect(currentUser().textContent()).resolves.toBe(USERNAME);
    await signOut();

    // Coming back to a protected page goes through sign-in and returns there.
    await page.goto(`${e2e.server.baseUrl}/account`);
    await page.waitForURL(/\/login\?next=%2Faccount$/);
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('.form-error').textContent()).resolves.toContain(
      'The username or password is wrong.',
    );
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${e2e.server.baseUrl}/account`);
    await expect(page.locator('.flash').textContent()).resolves.toContain(
      `Signed in as ${USERNAME}.`,
    );
    await expect(currentUser().textContent()).resolves.toBe(USERNAME);
    await expect(page.getByTestId('account-username').textContent()).resolves.toBe(USERNAME);

    const cookies = await page.context().cookies();
    const sid = cookies.find((cookie) => cookie.name === 'depot.sid');
    expect(sid).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await signOut();
  });
});
