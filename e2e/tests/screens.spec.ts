// SPDX-License-Identifier: AGPL-3.0-only
// Every page as each of its users sees it, on a desktop and on a phone, in light and dark:
// a screenshot of each (in the test's output, to look at), and checks that would catch what
// looks broken: no script error, and nothing wider than a phone's screen.
import { expect, type Page, test, type TestInfo } from '@playwright/test';
import { hydrated, instance, mailClient, signIn, signInPostmaster } from './instance';

const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 740 },
];
const SCHEMES = ['light', 'dark'] as const;

async function look(page: Page, testInfo: TestInfo, base: string, path: string, name: string) {
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      const response = await page.goto(`${base}${path}`);
      expect(response?.status(), `${path} answers`).toBeLessThan(400);
      await hydrated(page, testInfo);
      await page.screenshot({ path: testInfo.outputPath(`${name}-${size.name}-${scheme}.png`), fullPage: true });
      if (size.name === 'phone') {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path} fits a phone's width`).toBeLessThanOrEqual(0);
      }
    }
  }
}

test('every page, desktop and phone, light and dark', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const casella = instance(testInfo);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  const alice = 'alice@demo.test';

  await look(page, testInfo, casella.url, '/login', 'login');

  // The operator.
  await signIn(page, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(page).not.toHaveURL(/\/login/);
  for (const [path, name] of [
    ['/operator/customers', 'operator-customers'],
    ['/operator/domains', 'operator-domains'],
    ['/operator/managers', 'operator-managers'],
    ['/operator/monitor', 'operator-monitor'],
    ['/audit', 'audit'],
  ]) {
    await look(page, testInfo, casella.url, path, name);
  }
  await page.context().clearCookies();

  // The postmaster.
  await signInPostmaster(page, testInfo, casella);
  for (const [path, name] of [
    ['/domains/demo.test', 'domain'],
    ['/domains/demo.test/mailboxes', 'domain-mailboxes'],
    ['/domains/demo.test/mailboxes/alice@demo.test', 'mailbox'],
    ['/domains/demo.test/groups', 'domain-groups'],
    ['/domains/demo.test/dns', 'domain-dns'],
    ['/domains/demo.test/access', 'domain-access'],
    ['/domains/demo.test/trace', 'domain-trace'],
  ]) {
    await look(page, testInfo, casella.url, path, name);
  }
  await page.context().clearCookies();

  // A mailbox user, with a message to read.
  const codes = mailClient(['send', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, alice,
    `Screens ${testInfo.project.name}`, `screens-${testInfo.project.name}@demo.test`]);
  expect(codes.trim()).toBe('250 250');
  await signIn(page, testInfo, casella.url, alice, casella.demo[alice]);
  await expect(page).toHaveURL(/\/mail/);
  let reader = '';
  await expect(async () => {
    await page.goto(`${casella.url}/mail`);
    const link = page.locator('#messages li', { hasText: `Screens ${testInfo.project.name}` }).locator('a');
    reader = (await link.getAttribute('href', { timeout: 1_000 })) ?? '';
    expect(reader).not.toBe('');
  }).toPass({ timeout: 20_000 });
  for (const [path, name] of [
    ['/mail', 'mail'],
    [reader, 'reader'],
    [`${reader}?print=1`, 'print'],
    ['/compose', 'compose'],
    ['/folders', 'folders'],
    ['/mail/rules', 'rules'],
    ['/mail/settings', 'settings'],
    ['/account', 'account'],
    ['/account/security', 'security'],
    ['/password', 'password'],
  ]) {
    await look(page, testInfo, casella.url, path, name);
  }
  expect(errors).toEqual([]);
});
