// SPDX-License-Identifier: AGPL-3.0-only
// Administration through the UI, in both projects (JavaScript off and hydrated): the operator
// sets up a plan, a customer and a domain; the postmaster's password arrives by e-mail to the
// legal representative and must be changed at first sign-in; the postmaster creates mailboxes,
// switches a protocol off (a real IMAP client is then refused), switches chat, and reads the
// audit log. Bad input is refused with a message on its field.
import { expect, test } from '@playwright/test';
import { emailedPassword, hydrated, imapLogin, instance, open, signIn } from './instance';

test('operator → customer → domain → postmaster → mailboxes → engine', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });

  // Signed out: every page leads to sign-in. A wrong password is named on its field.
  await open(page, testInfo, `${casella.url}/operator/domains`);
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, testInfo, casella.url, casella.operatorLogin, 'wrong-password');
  await expect(page.locator('#password-error')).toContainText('Wrong e-mail address or password');
  await signIn(page, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(page).toHaveURL(/\/operator\/domains$/);

  // A plan and a customer whose legal representative is the demo's alice.
  await open(page, testInfo, `${casella.url}/operator/customers`);
  await page.fill('#name', 'Professional');
  await page.fill('#included_mailboxes', 'many');
  await page.click('#create-plan button[type=submit]');
  await expect(page.locator('#included_mailboxes-error')).toContainText('whole number');
  await hydrated(page, testInfo);
  await page.fill('#name', 'Professional');
  await page.fill('#included_mailboxes', '5');
  await page.fill('#price_extra_mailbox', '2,50');
  await page.click('#create-plan button[type=submit]');
  await expect(page.locator('#plan-list')).toContainText('Professional');
  await expect(page.locator('#plan-list')).toContainText('€ 2.50');
  await hydrated(page, testInfo);
  await page.fill('#company_name', 'Example S.p.A.');
  await page.fill('#legal_email', 'someone@localhost');
  await page.click('#create-customer button[type=submit]');
  await expect(page.locator('#legal_email-error')).toBeVisible();
  await hydrated(page, testInfo);
  await page.fill('#company_name', 'Example S.p.A.');
  await page.fill('#legal_email', 'alice@demo.test');
  await page.selectOption('#plan', { label: 'Professional' });
  await page.click('#create-customer button[type=submit]');
  await expect(page.locator('#customer-list')).toContainText('Example S.p.A.');
  await shot('operator-customers');

  // Registering: a bad name is refused on its field; a good one e-mails the credentials.
  await open(page, testInfo, `${casella.url}/operator/domains`);
  await page.fill('#domain', 'not a domain');
  await page.click('#register-domain button[type=submit]');
  await expect(page.locator('#domain-error')).toContainText('Use only letters, digits, hyphens and dots');
  await hydrated(page, testInfo);
  await page.fill('#domain', 'example.test');
  await page.selectOption('#customer', { label: 'Example S.p.A. (alice@demo.test)' });
  await page.click('#register-domain button[type=submit]');
  await expect(page.locator('#registered')).toContainText('e-mailed to alice@demo.test');
  await expect(page.locator('#domain-list')).toContainText('example.test');
  await expect(page.locator('.credentials')).toHaveCount(0);
  await shot('operator-domains');
  await page.click('form.logout button');
  await expect(page).toHaveURL(/\/login$/);

  // The postmaster's first sign-in goes to the password page, and nowhere else.
  const emailed = emailedPassword(casella, 'alice@demo.test', 'postmaster@example.test');
  await signIn(page, testInfo, casella.url, 'postmaster@example.test', emailed);
  await expect(page).toHaveURL(/\/password$/);
  await expect(page.locator('#password-required')).toBeVisible();
  await open(page, testInfo, `${casella.url}/domains/example.test/mailboxes`);
  await expect(page).toHaveURL(/\/password$/);
  await page.fill('#current', emailed);
  await page.fill('#new', 'short');
  await page.fill('#repeat', 'short');
  await page.click('#change-password button[type=submit]');
  await expect(page.locator('#new-error')).toContainText('at least 8 characters');
  await hydrated(page, testInfo);
  await page.fill('#current', emailed);
  await page.fill('#new', 'Postmaster-Secret-42');
  await page.fill('#repeat', 'Postmaster-Secret-42');
  await page.click('#change-password button[type=submit]');
  await expect(page).toHaveURL(/\/domains\/example\.test\/mailboxes$/);
  await hydrated(page, testInfo);

  // Mailboxes: a weak password is refused on its field; alice is created; a generated
  // password is shown once.
  await page.fill('#local_part', 'alice');
  await page.fill('#first_name', 'Alice');
  await page.fill('#last_name', 'Rossi');
  await page.fill('#password', 'password');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('#password-error')).toContainText('upper-case letter');
  await hydrated(page, testInfo);
  await page.fill('#local_part', 'alice');
  await page.fill('#first_name', 'Alice');
  await page.fill('#last_name', 'Rossi');
  await page.fill('#password', 'Alice-Secret-42');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('#mailbox-list')).toContainText('alice@example.test');
  await expect(page.locator('#mailbox-list')).toContainText('Alice Rossi');
  await hydrated(page, testInfo);
  await page.fill('#local_part', 'alice');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('#local_part-error')).toContainText('already in use');
  await hydrated(page, testInfo);
  await page.fill('#local_part', 'info');
  await page.fill('#password', '');
  await page.click('#create-mailbox button[type=submit]');
  await expect(page.locator('.credentials .credential-login')).toHaveText('info@example.test');
  const row = page.locator('#mailbox-list tr[data-address="alice@example.test"]');
  await expect(row.locator('.protocols')).toHaveText('on / on / on');
  await expect(row.locator('.quota')).toContainText('/ 8 GB');
  await shot('mailboxes');

  // Chat for one mailbox, from the list.
  await hydrated(page, testInfo);
  await row.locator('.chat button').click();
  await expect(page.locator('#mailbox-list tr[data-address="alice@example.test"] .chat button')).toHaveText('ACTIVE');

  // The mailbox page: IMAP off is refused by a real IMAP client; on again, it works.
  expect(imapLogin(casella.ports.imaps, 'alice@example.test', 'Alice-Secret-42')).toContain('ok imap');
  await open(page, testInfo, `${casella.url}/domains/example.test/mailboxes/alice@example.test`);
  await expect(page.locator('h1')).toHaveText('alice@example.test');
  await page.uncheck('#protocols-form input[name=imap]');
  await page.click('#protocols-form button[type=submit]');
  await expect(page.locator('#protocols-form input[name=imap]')).not.toBeChecked();
  expect(() => imapLogin(casella.ports.imaps, 'alice@example.test', 'Alice-Secret-42')).toThrow();
  await hydrated(page, testInfo);
  await page.check('#protocols-form input[name=imap]');
  await page.click('#protocols-form button[type=submit]');
  await expect(page.locator('#protocols-form input[name=imap]')).toBeChecked();
  expect(imapLogin(casella.ports.imaps, 'alice@example.test', 'Alice-Secret-42')).toContain('ok imap');
  // An alias, and a wrong confirmation for deleting.
  await hydrated(page, testInfo);
  await page.fill('#alias', 'sales');
  await page.click('#alias-form button[type=submit]');
  await expect(page.locator('.aliases')).toContainText('sales@example.test');
  await hydrated(page, testInfo);
  await page.fill('#confirm', 'someone@example.test');
  await page.click('#delete button[type=submit]');
  await expect(page.locator('#confirm-error')).toContainText('Type alice@example.test');
  await shot('mailbox');

  // The domain overview: the chat service switch and the mailbox count.
  await open(page, testInfo, `${casella.url}/domains/example.test`);
  await expect(page.locator('#mailboxes-created')).toHaveText('2');
  await expect(page.locator('#mailboxes-available')).toHaveText('3');
  await expect(page.locator('#domain-chat')).toHaveText('NOT ACTIVE');
  await page.click('#toggle-domain-chat');
  await expect(page.locator('#domain-chat')).toHaveText('ACTIVE');
  await shot('overview');

  // The audit log names every change, newest first.
  await open(page, testInfo, `${casella.url}/audit`);
  const log = page.locator('#audit-log');
  for (const action of ['mailbox.create', 'mailbox.protocols', 'mailbox.chat', 'mailbox.alias.add', 'domain.chat']) {
    await expect(log).toContainText(action);
  }
  await shot('audit');
  await page.click('form.logout button');

  // alice's own page shows how to set up a mail client.
  await signIn(page, testInfo, casella.url, 'alice@example.test', 'Alice-Secret-42');
  await expect(page).toHaveURL(/\/mail$/);
  await page.click('header a[href="/account"]');
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('#client-settings')).toContainText('mail.casella.test');
  await expect(page.locator('#client-settings')).toContainText(String(casella.ports.imaps));
});
