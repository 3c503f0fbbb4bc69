// SPDX-License-Identifier: AGPL-3.0-only
// The postmaster's access log, message trace and DNS page, with JavaScript off and hydrated:
// sign-ins from the web and from a real IMAP client show up with their outcome, the filters
// narrow them (a plain GET form), the CSV follows the filters; messages sent by a real SMTP
// client show up in the trace with their status and Message-ID, searchable by address and
// status; the DNS page lists the records to publish with copy buttons, and its check adds a
// finding to every record.
import { expect, test } from '@playwright/test';
import { hydrated, imapLogin, instance, mailClient, open, signIn } from './instance';

test('access log, message trace and DNS records of a domain', async ({ page }, testInfo) => {
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
  // Days the wrong way round: the last day says so, and the filters stay as chosen.
  await page.fill('#access-filters #from', '2026-12-05');
  await page.fill('#access-filters #to', '2026-12-01');
  await page.click('#access-filters button[type=submit]');
  await expect(page.locator('#to-error')).toBeVisible();
  await expect(page.locator('#protocol')).toHaveValue('imap');
  await expect(page.locator('#access-filters #from')).toHaveValue('2026-12-05');

  // The message trace: a message from alice to bob and one to an unknown mailbox.
  const id = `trace-${testInfo.project.name}@demo.test`;
  const codes = mailClient(['send', String(casella.ports.submissions), 'tls', 'alice@demo.test',
    casella.demo['alice@demo.test'], 'alice@demo.test', 'bob@demo.test,nobody@demo.test', id, id]);
  expect(codes.trim()).toBe('250 550 250');
  await open(page, testInfo, `${casella.url}/domains/demo.test`);
  await page.click('#trace-link');
  await expect(page).toHaveURL(/\/domains\/demo\.test\/trace$/);
  const trace = page.locator('#trace');
  const delivered = trace.locator('tr[data-status="delivered"][data-recipient="bob@demo.test"]', { hasText: id });
  await expect(async () => {
    await page.reload();
    await expect(delivered.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 60_000 }).catch(async (e) => {
    // Keep what the page showed, to tell a missing row from a late one.
    await shot('trace-failed');
    console.log(await page.locator('main').innerText());
    throw e;
  });
  await expect(delivered.first()).toContainText('alice@demo.test');
  await expect(trace.locator('tr[data-status="rejected"][data-recipient="nobody@demo.test"]').first()).toContainText('5.1.2');
  await shot('trace');

  await page.fill('#address', 'nobody@demo.test');
  await page.selectOption('#trace-filters #status', 'rejected');
  await page.click('#trace-filters button[type=submit]');
  await expect(page).toHaveURL(/status=rejected/);
  await expect(trace.locator('tbody tr').first()).toBeVisible();
  expect(await trace.locator('tbody tr:not([data-status="rejected"])').count()).toBe(0);
  expect(await trace.locator('tbody tr:not([data-recipient="nobody@demo.test"])').count()).toBe(0);
  const traceCsv = await page.request.get(`${casella.url}${await page.locator('#trace-csv').getAttribute('href')}`);
  expect(traceCsv.headers()['content-type']).toContain('text/csv');
  const traceLines = (await traceCsv.text()).trim().split(/\r?\n/);
  expect(traceLines.length).toBeGreaterThanOrEqual(2);
  expect(traceLines.slice(1).every((l) => l.includes(',rejected,'))).toBe(true);
  // A wrong address is named on its field, and what was typed stays.
  await page.fill('#address', 'nobody');
  await page.click('#trace-filters button[type=submit]');
  await expect(page.locator('#address-error')).toBeVisible();
  await expect(page.locator('#address')).toHaveValue('nobody');
  await expect(page.locator('#trace-filters #status')).toHaveValue('rejected');

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
