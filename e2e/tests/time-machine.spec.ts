// SPDX-License-Identifier: AGPL-3.0-only
// The Mail Time Machine, with JavaScript off and hydrated: a message bob receives is kept by
// the day's snapshot (taken again by the operator from the monitor), bob deletes it for good
// over IMAP, and the day still shows it: in its folder, found by the day's search, opened
// read-only, downloaded as .eml.
import { expect, test } from '@playwright/test';
import { hydrated, instance, mailClient, open, signIn } from './instance';

test('time machine: a deleted message is still there in the day it was kept', async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const casella = instance(testInfo);
  const tag = testInfo.project.name;
  const alice = 'alice@demo.test';
  const bob = 'bob@demo.test';
  const subject = `Kept by the time machine ${tag} ${Date.now()}`;
  const imaps = String(casella.ports.imaps);

  mailClient(['submit', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, bob, subject]);
  mailClient(['imap-find', imaps, 'tls', bob, casella.demo[bob], subject]);

  // The operator takes today's snapshot again, from the monitor.
  const operator = await browser.newPage();
  await signIn(operator, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(operator).not.toHaveURL(/\/login/);
  await open(operator, testInfo, `${casella.url}/operator/monitor`);
  await operator.click('#take-snapshot-now');
  await expect(operator.locator('#snapshots tbody tr').first()).toBeVisible();
  await expect(operator.getByRole('status').filter({ hasText: /Snapshot of|Istantanea del/ }).first()).toBeVisible();
  await expect(operator.locator('#snapshots-summary')).toContainText(/kept|conservat/);
  await operator.screenshot({ path: testInfo.outputPath('monitor.png'), fullPage: true });
  await operator.close();

  // Bob deletes it for good, from a mail client.
  mailClient(['imap-act', imaps, 'tls', bob, casella.demo[bob], 'delete', 'INBOX', subject]);

  const page = await browser.newPage();
  await signIn(page, testInfo, casella.url, bob, casella.demo[bob]);
  await expect(page).not.toHaveURL(/\/login/);
  await open(page, testInfo, `${casella.url}/mail`);
  await expect(page.locator('#messages')).not.toContainText(subject);
  await page.click('#time-machine-link');
  await expect(page).toHaveURL(/\/time-machine$/);
  await hydrated(page, testInfo);

  // Today, the Inbox as it stood: the message is there, and the day's search finds it.
  await expect(page.locator('#tm-day option').first()).toBeAttached();
  await expect(page.locator('#tm-folders a[data-role=inbox]')).toHaveAttribute('aria-current', 'page');
  const row = page.locator('#tm-list li', { hasText: subject });
  await expect(row).toBeVisible();
  await page.fill('#tm-q', `${tag} ${subject.split(' ').pop()}`);
  await page.click('#tm-search-button');
  await expect(page).toHaveURL(/q=/);
  await expect(page.locator('#tm-list li')).toHaveCount(1);
  await page.fill('#tm-q', 'nothing-like-this-was-ever-sent');
  await page.click('#tm-search-button');
  await expect(page.locator('#tm-empty')).toBeVisible();

  // Other folders of the day, subscribed or not, are there too.
  await page.locator('#tm-folders a[data-role=sent]').click();
  await expect(page.locator('#tm-list-title')).toContainText(/Sent|Posta inviata/);
  await page.locator('#tm-folders a[data-role=inbox]').click();
  await expect(page.locator('#tm-list li', { hasText: subject })).toBeVisible();

  // Opened: read-only, with its text and its download.
  await page.locator('#tm-list li', { hasText: subject }).locator('a').click();
  await expect(page.locator('#tm-subject')).toHaveText(subject);
  await expect(page.locator('#tm-read-only')).toBeVisible();
  await expect(page.locator('#tm-reader')).toContainText('Sent by the integration test');
  await expect(page.locator('#tm-reader button')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('reader.png'), fullPage: true });
  const href = await page.locator('#tm-download').getAttribute('href');
  const download = await page.request.get(`${casella.url}${href}`);
  expect(download.status()).toBe(200);
  expect(download.headers()['content-disposition']).toMatch(/attachment; filename=".*\.eml"/);
  expect(await download.text()).toContain(`Subject: ${subject}`);

  // Back to the list it came from.
  await page.click('#tm-back-to-list');
  await expect(page.locator('#tm-list li', { hasText: subject })).toBeVisible();

  // Restoring the day, merging: the price is said first; the message comes back.
  await page.locator('#tm-restore summary').click();
  await expect(page.locator('#tm-restore-price')).toContainText('25');
  await expect(page.locator('#tm-mode-merge')).toBeChecked();
  await page.click('#tm-restore-confirm');
  await expect(page.locator('#tm-restore-status[data-state=done]')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('#tm-restore-status')).toContainText(/Messages put back: 1 |Messaggi rimessi: 1 /);
  await page.screenshot({ path: testInfo.outputPath('restored.png'), fullPage: true });
  mailClient(['imap-find', imaps, 'tls', bob, casella.demo[bob], subject]);
  await open(page, testInfo, `${casella.url}/mail`);
  await expect(page.locator('#messages')).toContainText(subject);

  // The operator's monitor lists it, with its price.
  const monitor = await browser.newPage();
  await signIn(monitor, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(monitor).not.toHaveURL(/\/login/);
  await open(monitor, testInfo, `${casella.url}/operator/monitor`);
  const restoreRow = monitor.locator('#restores tbody tr', { hasText: bob }).first();
  await expect(restoreRow).toContainText('25');
  await monitor.close();

  // Another mailbox's copy is not bob's to read; alice's own Time Machine does not list it.
  const other = await browser.newPage();
  await signIn(other, testInfo, casella.url, alice, casella.demo[alice]);
  await expect(other).not.toHaveURL(/\/login/);
  const refused = await other.request.get(`${casella.url}${href}`);
  expect(refused.status()).toBe(404);
  await open(other, testInfo, `${casella.url}/time-machine`);
  await expect(other.locator('#tm-folders')).toBeVisible();
  await expect(other.locator('#tm-messages')).not.toContainText(subject);
  await other.close();
  await page.close();
});
