import { useServerAndBrowser } from './helpers/server';

describe('foundation pages in Chromium', () => {
  const e2e = useServerAndBrowser();

  it('renders the home page with its stylesheet loaded', async () => {
    const page = await e2e.browser.newPage();
    const response = await page.goto(`${e2e.server.baseUrl}/`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('h1').first().textContent()).resolves.toContain('Your files');
    // The stylesheet applied: the header has the surface colour from app.css.
    const background = await page
      .locator('.site-header')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(255, 255, 255)');
    const sheets = await page.evaluate(() => document.styleSheets.length);
    expect(sheets).toBeGreaterThan(0);
    await page.close();
  });

  it('shows the styled 404 page for a missing page', async () => {
    const page = await e2e.browser.newPage();
    const response = await page.goto(`${e2e.server.baseUrl}/no/such/page`);
    expect(response?.status()).toBe(404);
    await expect(page.locator('.error-code').textContent()).resolves.toBe('404');
    await page.close();
  });
});
