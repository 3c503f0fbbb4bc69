// SPDX-License-Identifier: AGPL-3.0-only
// The archive, with JavaScript off and hydrated: the operator gives the demo domain a
// manager, who switches bob's archive on from the mailbox page; a message bob receives is
// kept even after bob deletes it for good over IMAP; bob finds it in his archive by the
// search, opens it read-only, downloads it as .eml and puts it back into his Inbox.
import { expect, test, type Page } from '@playwright/test';
import { emailedPassword, hydrated, instance, mailClient, managerFor, open, signIn } from './instance';

async function submit(page: Page, button: string, endpoint: string): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/api/${endpoint}`) && r.request().method() === 'POST'),
    page.click(button),
  ]);
}

test('archive: a deleted message is kept, found, read, downloaded and put back', async ({ browser }, testInfo) => {
  test.setTimeout(150_000);
  const casella = instance(testInfo);
  const tag = testInfo.project.name;
  const alice = 'alice@demo.test';
  const bob = 'bob@demo.test';
  const manager = `archivist-${tag}`;
  const subject = `Kept by the archive ${tag} ${Date.now()}`;
  const imaps = String(casella.ports.imaps);

  // The operator creates a manager (credentials to alice) and gives it the demo domain.
  await managerFor(browser, testInfo, casella, manager, 'Archivista', alice, 'demo.test');

  // The manager's first sign-in, then bob's archive switched on for 3 years.
  const page = await browser.newPage();
  const emailed = emailedPassword(casella, alice, manager);
  await signIn(page, testInfo, casella.url, manager, emailed);
  await expect(page).toHaveURL(/\/password$/);
  await page.fill('#current', emailed);
  await page.fill('#new', 'Archive-Secret-7');
  await page.fill('#repeat', 'Archive-Secret-7');
  await page.click('#change-password button[type=submit]');
  await expect(page).not.toHaveURL(/\/password$/);
  await open(page, testInfo, `${casella.url}/domains/demo.test/mailboxes/${bob}`);
  await expect(page.locator('#archive-state')).toContainText(/Off|Disattivato/);
  await page.check('#archive-form input[name=archive][value=on]');
  await page.selectOption('#retention_years', '3');
  await submit(page, '#archive-form button[type=submit]', 'mailboxes/set_archive');
  await expect(page.locator('#archive-state')).toContainText(/3 years|3 anni/);
  await page.screenshot({ path: testInfo.outputPath('mailbox-archive.png'), fullPage: true });
  await page.close();

  // Alice writes to bob; bob deletes it for good, from a mail client.
  mailClient(['submit', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, bob, subject]);
  mailClient(['imap-find', imaps, 'tls', bob, casella.demo[bob], subject]);
  mailClient(['imap-act', imaps, 'tls', bob, casella.demo[bob], 'delete', 'INBOX', subject]);

  const reader = await browser.newPage();
  await signIn(reader, testInfo, casella.url, bob, casella.demo[bob]);
  await expect(reader).not.toHaveURL(/\/login/);
  await open(reader, testInfo, `${casella.url}/mail`);
  await expect(reader.locator('#messages')).not.toContainText(subject);
  await reader.click('#archive-link');
  await expect(reader).toHaveURL(/\/archive$/);
  await hydrated(reader, testInfo);
  await expect(reader.locator('#ar-intro')).toContainText(/3 years|3 anni/);
  await expect(reader.locator('#ar-list li', { hasText: subject })).toBeVisible();

  // The search: by words of the subject, by sender, and one that finds nothing.
  await reader.fill('#ar-q', `${tag} ${subject.split(' ').pop()}`);
  await reader.fill('#ar-from', alice);
  await reader.click('#ar-search-button');
  await expect(reader).toHaveURL(/q=/);
  await expect(reader.locator('#ar-list li')).toHaveCount(1);
  await reader.fill('#ar-q', 'nothing-like-this-was-ever-sent');
  await reader.click('#ar-search-button');
  await expect(reader.locator('#ar-empty')).toBeVisible();
  await reader.click('#ar-clear');
  await expect(reader.locator('#ar-list li', { hasText: subject })).toBeVisible();
  await reader.screenshot({ path: testInfo.outputPath('archive-list.png'), fullPage: true });

  // Opened read-only, downloaded, put back.
  await reader.locator('#ar-list li', { hasText: subject }).locator('a').click();
  await expect(reader.locator('#ar-subject')).toHaveText(subject);
  await expect(reader.locator('#ar-reader')).toContainText('Sent by the integration test');
  const href = await reader.locator('#ar-download').getAttribute('href');
  const download = await reader.request.get(`${casella.url}${href}`);
  expect(download.status()).toBe(200);
  expect(download.headers()['content-disposition']).toMatch(/attachment; filename=".*\.eml"/);
  expect(await download.text()).toContain(`Subject: ${subject}`);
  await reader.screenshot({ path: testInfo.outputPath('archive-reader.png'), fullPage: true });
  await hydrated(reader, testInfo);
  await submit(reader, '#ar-put-back button[type=submit]', 'mail/archive_put_back');
  await expect(reader.getByRole('status').filter({ hasText: /back in your mailbox|di nuovo nella casella/ }).first()).toBeVisible();
  mailClient(['imap-find', imaps, 'tls', bob, casella.demo[bob], subject]);
  // Signed out and closed: later specs expect bob offline in chat.
  await reader.click('form.logout button');
  await reader.close();
});
