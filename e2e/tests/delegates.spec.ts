// SPDX-License-Identifier: AGPL-3.0-only
// Delegates, with JavaScript off and hydrated: a manager gives a person bob's archive until
// today; the delegate signs in with the e-mailed credentials, lands in the archive, reads and
// downloads a message (and cannot put it back); bob sees who read what in his own archive;
// the manager sees the read in its log and deletes the delegate.
import { expect, test, type Page } from '@playwright/test';
import { emailedPassword, hydrated, instance, mailClient, managerFor, open, signIn } from './instance';

async function submit(page: Page, button: string, endpoint: string): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/api/${endpoint}`) && r.request().method() === 'POST'),
    page.click(button),
  ]);
}

async function firstSignIn(page: Page, emailed: string, secret: string): Promise<void> {
  await expect(page).toHaveURL(/\/password$/);
  await page.fill('#current', emailed);
  await page.fill('#new', secret);
  await page.fill('#repeat', secret);
  await page.click('#change-password button[type=submit]');
  await expect(page).not.toHaveURL(/\/password$/);
}

test('delegates: a delegate reads an archive inside its reach, and the owner sees it', async ({ browser }, testInfo) => {
  test.setTimeout(150_000);
  const casella = instance(testInfo);
  const tag = testInfo.project.name;
  const alice = 'alice@demo.test';
  const bob = 'bob@demo.test';
  const manager = `delegator-${tag}`;
  const delegate = `auditor-${tag}`;
  const subject = `Read by a delegate ${tag} ${Date.now()}`;
  const today = new Date().toISOString().slice(0, 10);

  // The operator gives the demo domain to a new manager (credentials to alice).
  await managerFor(browser, testInfo, casella, manager, 'Delegante', alice, 'demo.test');

  // The manager switches bob's archive on; alice writes to bob.
  const page = await browser.newPage();
  const emailed = emailedPassword(casella, alice, manager);
  await signIn(page, testInfo, casella.url, manager, emailed);
  await firstSignIn(page, emailed, 'Delegator-Secret-7');
  await open(page, testInfo, `${casella.url}/domains/demo.test/mailboxes/${bob}`);
  await page.check('#archive-form input[name=archive][value=on]');
  await page.selectOption('#retention_years', '2');
  await submit(page, '#archive-form button[type=submit]', 'mailboxes/set_archive');
  await expect(page.locator('#archive-state')).toContainText(/2 years|2 anni/);
  mailClient(['submit', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, bob, subject]);
  mailClient(['imap-find', String(casella.ports.imaps), 'tls', bob, casella.demo[bob], subject]);

  // A delegate with bob's archive, until today; a wrong field is named on its field.
  await page.click('nav.mainnav a[href="/delegates"]');
  await expect(page).toHaveURL(/\/delegates$/);
  await hydrated(page, testInfo);
  await page.fill('#login', delegate);
  await page.fill('#display_name', 'Anna Revisora');
  await page.fill('#email', alice);
  await page.fill('#expires_on', today);
  await page.fill('#window_from', today);
  await page.fill('#window_to', '2001-01-01');
  await page.locator('#delegate-archives label', { hasText: bob }).locator('input').check();
  await page.click('#create-delegate button[type=submit]');
  await expect(page.locator('#window_to-error')).toContainText(/ends before|finisce prima/);
  // Without JavaScript the page comes back empty: everything is typed again.
  await page.fill('#login', delegate);
  await page.fill('#display_name', 'Anna Revisora');
  await page.fill('#email', alice);
  await page.fill('#window_to', '');
  await page.fill('#window_from', '');
  await page.locator('#delegate-archives label', { hasText: bob }).locator('input').check();
  await page.fill('#expires_on', today);
  await page.click('#create-delegate button[type=submit]');
  await expect(page.locator('#delegate-list tr[data-login="' + delegate + '"]')).toContainText(bob);
  await page.screenshot({ path: testInfo.outputPath('delegates.png'), fullPage: true });

  // The delegate's first sign-in lands in the archive: bob's message, read-only.
  const reader = await browser.newPage();
  const delegateEmailed = emailedPassword(casella, alice, delegate);
  await signIn(reader, testInfo, casella.url, delegate, delegateEmailed);
  await firstSignIn(reader, delegateEmailed, 'Auditor-Secret-7');
  await expect(reader).toHaveURL(/\/archive/);
  await hydrated(reader, testInfo);
  await expect(reader.locator('#ar-archives')).toContainText(bob);
  await expect(reader.locator('#ar-intro')).toContainText(today);
  await expect(reader.locator('#back-to-mail')).toHaveCount(0);
  await expect(reader.locator('#ar-folder-reads')).toHaveCount(0);
  await expect
    .poll(async () => {
      await reader.reload();
      return reader.locator('#ar-list li', { hasText: subject }).count();
    }, { timeout: 30_000 })
    .toBe(1);
  await hydrated(reader, testInfo);
  await reader.locator('#ar-list li', { hasText: subject }).locator('a').click();
  await expect(reader.locator('#ar-subject')).toHaveText(subject);
  await expect(reader.locator('#ar-put-back')).toHaveCount(0);
  const href = await reader.locator('#ar-download').getAttribute('href');
  const download = await reader.request.get(`${casella.url}${href}`);
  expect(download.status()).toBe(200);
  expect(await download.text()).toContain(`Subject: ${subject}`);
  await reader.screenshot({ path: testInfo.outputPath('delegate-reader.png'), fullPage: true });
  await reader.click('form.logout button');
  await reader.close();

  // Bob sees who read what in his own archive.
  const owner = await browser.newPage();
  await signIn(owner, testInfo, casella.url, bob, casella.demo[bob]);
  await expect(owner).not.toHaveURL(/\/login/);
  await open(owner, testInfo, `${casella.url}/archive`);
  await owner.click('#ar-folder-reads');
  await expect(owner).toHaveURL(/folder=reads/);
  const read = owner.locator(`#reads tr[data-reader="${delegate}"][data-action="read"]`);
  await expect(read).toContainText(subject);
  await expect(read).toContainText('Anna Revisora');
  await expect(owner.locator(`#reads tr[data-reader="${delegate}"][data-action="download"]`)).toContainText(subject);
  await owner.screenshot({ path: testInfo.outputPath('owner-reads.png'), fullPage: true });
  await owner.click('form.logout button');
  await owner.close();

  // The manager sees the reads, then deletes the delegate.
  await open(page, testInfo, `${casella.url}/delegates`);
  await expect(page.locator(`#reads tr[data-reader="${delegate}"]`).first()).toContainText(bob);
  await page.click(`#delegate-list tr[data-login="${delegate}"] a`);
  await expect(page.locator('#delegate-login')).toHaveText(delegate);
  await hydrated(page, testInfo);
  await expect(page.locator('#reads')).toContainText(subject);
  await page.fill('#confirm', delegate);
  await page.click('#delete-delegate button[type=submit]');
  await expect(page).toHaveURL(/\/delegates$/);
  await expect(page.locator(`#delegate-list tr[data-login="${delegate}"]`)).toHaveCount(0);
  await page.close();
});
