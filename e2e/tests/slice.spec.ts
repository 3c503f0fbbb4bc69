// SPDX-License-Identifier: AGPL-3.0-only
// The vertical slice through the UI: the operator registers example.test, the postmaster signs
// in with the password shown once and creates alice, alice's credentials work in a real IMAP
// client. Bad input is refused with a message on its field.
import { expect, test } from '@playwright/test';
import { hydrated, imapLogin, instance, open, signIn } from './instance';

test('operator → domain → postmaster → mailbox → IMAP', async ({ page }, testInfo) => {
  const casella = instance(testInfo);

  // Signed out: every page leads to sign-in. A wrong password is named on its field.
  await open(page, testInfo, `${casella.url}/operator/domains`);
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, testInfo, casella.url, casella.operatorLogin, 'wrong-password');
  await expect(page.locator('#password-error')).toContainText('Wrong e-mail address or password');

  await signIn(page, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(page).toHaveURL(/\/operator\/domains$/);
  await expect(page.locator('h1')).toHaveText('Domains');
  await hydrated(page, testInfo);

  // An invalid domain name: the message sits on the domain field; nothing is registered.
  await page.fill('#domain', 'not a domain');
  await page.click('#register-domain button[type=submit]');
  await expect(page.locator('#domain-error')).toContainText('Use only letters, digits, hyphens and dots');
  await expect(page.locator('#domain-list')).toHaveCount(0);

  await hydrated(page, testInfo);
  await page.fill('#domain', 'example.test');
  await page.click('#register-domain button[type=submit]');
  await expect(page.locator('.credentials .credential-login')).toHaveText('postmaster@example.test');
  const postmasterPassword = (await page.locator('.credentials .credential-password').textContent())!.trim();
  expect(postmasterPassword).toMatch(/^\S{16}$/);
  await expect(page.locator('#domain-list .domain-name')).toHaveText(['example.test']);

  // Shown once: a reload does not show it again.
  await open(page, testInfo, `${casella.url}/operator/domains`);
  await expect(page.locator('.credentials')).toHaveCount(0);

  // The same domain again is refused on its field.
  await page.fill('#domain', 'example.test');
  await page.click('#register-domain button[type=submit]');
  await expect(page.locator('#domain-error')).toContainText('already registered');

  await page.click('form.logout button');
  await expect(page).toHaveURL(/\/login$/);

  // The postmaster creates alice.
  await signIn(page, testInfo, casella.url, 'postmaster@example.test', postmasterPassword);
  await expect(page).toHaveURL(/\/postmaster\/mailboxes$/);
  await hydrated(page, testInfo);
  await page.fill('#local_part', 'alice');
  await page.fill('#first_name', 'Alice');
  await page.fill('#last_name', 'Rossi');
  await page.fill('#password', 'password');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('#password-error')).toContainText('upper-case letter');
  await expect(page.locator('#mailbox-list .mailbox-address')).toHaveCount(1);

  await hydrated(page, testInfo);
  await page.fill('#local_part', 'alice');
  await page.fill('#first_name', 'Alice');
  await page.fill('#last_name', 'Rossi');
  await page.fill('#password', 'Alice-Secret-42');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('#mailbox-list .mailbox-address')).toHaveCount(2);
  await expect(page.locator('#mailbox-list')).toContainText('alice@example.test');
  await expect(page.locator('#mailbox-list')).toContainText('Alice Rossi');

  // An existing address is refused on the address field.
  await hydrated(page, testInfo);
  await page.fill('#local_part', 'alice');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('#local_part-error')).toContainText('already in use');

  // A generated password is shown once.
  await hydrated(page, testInfo);
  await page.fill('#local_part', 'info');
  await page.fill('#first_name', '');
  await page.fill('#last_name', '');
  await page.fill('#password', '');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('.credentials .credential-login')).toHaveText('info@example.test');

  // alice's credentials work in a real IMAP client, and on her own page.
  expect(imapLogin(casella.ports.imaps, 'alice@example.test', 'Alice-Secret-42')).toContain('ok imap');
  await page.click('form.logout button');
  await signIn(page, testInfo, casella.url, 'alice@example.test', 'Alice-Secret-42');
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('#client-settings')).toContainText('mail.casella.test');
  await expect(page.locator('#client-settings')).toContainText(String(casella.ports.imaps));
  await page.screenshot({ path: testInfo.outputPath('account.png'), fullPage: true });
});
