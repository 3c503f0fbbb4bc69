// SPDX-License-Identifier: AGPL-3.0-only
// The postmaster's access log and DNS page, with JavaScript off and hydrated: sign-ins from
// the web and from a real IMAP client show up with their outcome, the filters narrow them
// (a plain GET form), the CSV follows the filters; the DNS page lists the records to publish
// with copy buttons, and its check adds a finding to every record.
import { expect, test } from '@playwright/test';
import { hydrated, imapLogin, instance, open, signIn } from './instance';

test('access log and DNS records of a domain', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const postmaster = 'postmaster@demo.test';

  // Something to read: a wrong web sign-in and a real IMAP client's.
  await signIn(page, testInfo, casella.url, 'alice@demo.test', 'Not-Her-Password-1');
  await expect(page.locator('#password-error')).toBeVisible();
  expect(imapLogin(casella.ports.imaps, 'alice@demo.test', casella.demo['alice@demo.test'])).toContain('ok');

  // The postmaster's first sign-in changes the password given with the domain.
  await signIn(page, testInfo, casella.url, postmaster, casella.demo[postmaster]);
  await expect(page).toHaveURL(/\/password$/);
  await hydrated(page, testInfo);
  await page.fill('#current', casella.demo[postmaster]);
  await page.fill('#new', 'Postmaster-Secret-9');
  await page.fill('#repeat', 'Postmaster-Secret-9');
  await page.click('#change-password button[type=submit]');
  await expect(page).toHaveURL(/\/domains\/demo\.test\/mailboxes$/);

  await open(page, testInfo, `${casella.url}/domains/demo.test`);
  await page.click('#access-link');
  await expect(page).toHaveURL(/\/domains\/demo\.test\/access$/);
  const log = page.locator('#access-log');
  await expect(log.locator('tr[data-protocol="web"][data-result="wrong-password"]').first()).toContainText('alice@demo.test');
  await expect(log.locator('tr[data-protocol="imap"][data-result="ok"]').first()).toContainText('alice@demo.test');
  await shot('access-log');

  await page.selectOption('#protocol', 'imap');
  await page.click('#access-filters button[type=submit]');
  await expect(page).toHaveURL(/protocol=imap/);
  await expect(log.locator('tbody tr').first()).toBeVisible();
  expect(await log.locator('tbody tr:not([data-protocol="imap"])').count()).toBe(0);
  const csvHref = await page.locator('#access-csv').getAttribute('href');
  expect(csvHref).toContain('protocol=imap');
  const csv = await page.request.get(`${casella.url}${csvHref}`);
  expect(csv.headers()['content-type']).toContain('text/csv');
  const lines = (await csv.text()).trim().split(/\r?\n/);
  expect(lines[0]).toBe('time,account,protocol,result,address');
  expect(lines.slice(1).every((l) => l.includes(',imap,'))).toBe(true);

  // The DNS page: the records, then the check.
  await open(page, testInfo, `${casella.url}/domains/demo.test`);
  await page.click('#dns-link');
  await expect(page).toHaveURL(/\/domains\/demo\.test\/dns$/);
  const records = page.locator('#dns-records tbody tr');
  await expect(records.first()).toBeVisible();
  expect(await records.count()).toBeGreaterThanOrEqual(15);
  await expect(page.locator('#dns-records tr[data-kind="MX"]')).toContainText('10 mail.casella.test');
  await expect(page.locator('#dns-records tr[data-kind="SRV"]').first()).toBeVisible();
  await expect(page.locator('#dns-records button.copy').first()).toBeVisible();
  await shot('dns');
  await page.click('#check-dns');
  await expect(page).toHaveURL(/check=1/);
  await expect(page.locator('#dns-records td.dns-status').first()).toBeVisible({ timeout: 30_000 });
  expect(await page.locator('#dns-records td.dns-status').count()).toBe(await records.count());
  await shot('dns-checked');
});
