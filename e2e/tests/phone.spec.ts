// SPDX-License-Identifier: AGPL-3.0-only
// On a phone (375 x 740): no page of Casella scrolls sideways. Every identity of the demo data
// (operator, postmaster, user) signs in and every page of its menu, and the webmail's folder
// page, is measured: the document must be no wider than the screen. Light and dark screenshots
// of each are kept with the test's output for a look by eye.
import { expect, test } from '@playwright/test';
import { hydrated, instance, signIn } from './instance';

test.use({ viewport: { width: 375, height: 740 } });

test('phone: no page is wider than a 375 px screen', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'hydrated', 'measured with the page\'s own layout, once');
  test.setTimeout(120_000);
  const casella = instance(testInfo);
  const wide: string[] = [];
  const measure = async (name: string) => {
    await hydrated(page, testInfo);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 375) wide.push(`${name}: ${width} px`);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: testInfo.outputPath(`${name.replace(/\W+/g, '_')}-${scheme}.png`), fullPage: true });
    }
  };
  await page.goto(`${casella.url}/login`);
  await measure('login');

  const identities = Object.entries(casella.demo)
    .filter(([login]) => login.includes('@') || login === casella.operatorLogin)
    .filter(([login]) => !['bob@demo.test'].includes(login));
  expect(identities.length).toBeGreaterThan(2);
  for (const [login, password] of identities) {
    await page.context().clearCookies();
    await signIn(page, testInfo, casella.url, login, password);
    await expect(page).not.toHaveURL(/\/login/);
    if (page.url().includes('/account/password')) continue; // must change a password first
    await measure(`${login} home`);
    const links = await page.locator('nav.mainnav a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).pathname));
    const extra = login.includes('@') ? ['/account', '/account/security', '/folders'] : ['/account'];
    for (const path of [...new Set([...links, ...extra])]) {
      const response = await page.goto(`${casella.url}${path}`);
      if (!response || response.status() >= 400) continue;
      await measure(`${login} ${path}`);
    }
  }
  expect(wide, 'pages wider than the screen').toEqual([]);
});
