// SPDX-License-Identifier: AGPL-3.0-only
// A manager through the UI, in both projects (JavaScript off and hydrated): the operator creates
// the manager and gives it two domains; its credentials arrive by e-mail; it switches between
// its domains, buys mailbox slots, raises a mailbox's daily send limit, names and brands the
// domain's webmail (a bad logo is refused on its field), and the domain's sign-in page then
// shows the brand. Every change is in the audit log.
import { expect, test, type Page } from '@playwright/test';
import { emailedPassword, hydrated, instance, open, signIn } from './instance';

// A 2×2 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGOQj18BRAwQCgAeEgSZSx0a7AAAAABJRU5ErkJggg==',
  'base64',
);

/** Submits a form and waits until the server function has answered (a plain post in one
 * project, a fetch in the other). */
async function submit(page: Page, button: string, endpoint: string): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/api/${endpoint}`) && r.request().method() === 'POST'),
    page.click(button),
  ]);
}

test('manager: domain switcher, slots, send limit, branding', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const alice = 'alice@demo.test';

  // The operator creates the manager (credentials to alice's inbox), registers a second
  // domain for the demo customer, and gives the manager both domains.
  await signIn(page, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(page).toHaveURL(/\/operator\/domains$/);
  await open(page, testInfo, `${casella.url}/operator/managers`);
  await page.fill('#login', 'mario');
  await page.fill('#display_name', 'Mario Verdi');
  await page.fill('#email', alice);
  await page.click('#create-manager button[type=submit]');
  await expect(page.locator('#manager-created')).toContainText(`e-mailed to ${alice}`);
  await expect(page.locator('#manager-list')).toContainText('mario');

  await open(page, testInfo, `${casella.url}/operator/domains`);
  await page.fill('#domain', 'branch.test');
  await page.selectOption('#customer', { label: `Demo S.r.l. (${alice})` });
  await page.click('#register-domain button[type=submit]');
  await expect(page.locator('#domain-list')).toContainText('branch.test');
  for (const domain of ['demo.test', 'branch.test']) {
    await hydrated(page, testInfo);
    const row = page.locator(`#domain-list tr[data-domain="${domain}"]`);
    await row.locator('select[name=manager]').selectOption('mario');
    await row.locator('button[type=submit]').click();
    await expect(page.locator(`#domain-list tr[data-domain="${domain}"] select[name=manager]`)).toHaveValue('mario');
  }
  await page.click('form.logout button');
  await expect(page).toHaveURL(/\/login$/);

  // The manager's first sign-in: the e-mailed password must be changed.
  const emailed = emailedPassword(casella, alice, 'mario');
  await signIn(page, testInfo, casella.url, 'mario', emailed);
  await expect(page).toHaveURL(/\/password$/);
  await page.fill('#current', emailed);
  await page.fill('#new', 'Manager-Secret-42');
  await page.fill('#repeat', 'Manager-Secret-42');
  await page.click('#change-password button[type=submit]');
  await expect(page).toHaveURL(/\/domains\/[a-z.]+$/);

  // The switcher: one link per managed domain.
  const nav = page.locator('nav.mainnav');
  await expect(nav.locator('a[href="/domains/demo.test"]')).toBeVisible();
  await expect(nav.locator('a[href="/domains/branch.test"]')).toBeVisible();
  await hydrated(page, testInfo);
  await nav.locator('a[href="/domains/branch.test"]').click();
  await expect(page).toHaveURL(/\/domains\/branch\.test$/);
  await expect(page.locator('h1')).toHaveText('branch.test');
  // The postmaster is not one of the plan's mailboxes.
  await expect(page.locator('#mailboxes-created')).toHaveText('0');
  await hydrated(page, testInfo);
  await nav.locator('a[href="/domains/demo.test"]').click();
  await expect(page).toHaveURL(/\/domains\/demo\.test$/);
  await expect(page.locator('h1')).toHaveText('demo.test');
  await expect(page.locator('#mailboxes-created')).toHaveText('2');

  // Buying slots: a wrong count is refused on its field; two more mailboxes become available.
  const available = Number(await page.locator('#mailboxes-available').textContent());
  await hydrated(page, testInfo);
  await page.fill('#count', '0');
  await page.click('#slots button[type=submit]');
  await expect(page.locator('#count-error')).toContainText('Buy between 1 and');
  await hydrated(page, testInfo);
  await page.fill('#count', '2');
  await submit(page, '#slots button[type=submit]', 'domain/buy_slots');
  await expect(page.locator('#mailboxes-available')).toHaveText(String(available + 2));

  // Branding: the company name, then a logo (a text file is refused on the field).
  await page.fill('#company_name', 'Demo Mail Srl');
  await submit(page, '#branding button[type=submit]', 'domain/set_branding_name');
  await open(page, testInfo, `${casella.url}/domains/demo.test`);
  await expect(page.locator('#company_name')).toHaveValue('Demo Mail Srl');
  await page.setInputFiles('#logo', { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
  await page.click('#logo-form button[type=submit]:not([name])');
  await expect(page.locator('#logo-error')).toContainText('PNG or JPEG');
  await hydrated(page, testInfo);
  await page.setInputFiles('#logo', { name: 'logo.png', mimeType: 'image/png', buffer: PNG });
  await page.click('#logo-form button[type=submit]:not([name])');
  await expect(page.locator('#current-logo')).toBeVisible();
  await expect(page.locator('#logo-error')).toHaveCount(0);
  const logo = await page.request.get(`${casella.url}/branding/demo.test/logo`);
  expect(logo.headers()['content-type']).toBe('image/png');
  expect(Buffer.compare(await logo.body(), PNG)).toBe(0);
  await shot('manager-overview');

  // The daily send limit of a mailbox, which only a manager may change.
  await open(page, testInfo, `${casella.url}/domains/demo.test/mailboxes/bob@demo.test`);
  await expect(page.locator('#send_tier')).toHaveValue('250');
  await page.selectOption('#send_tier', '1000');
  await submit(page, '#send-tier-form button[type=submit]', 'mailboxes/set_send_tier');
  await open(page, testInfo, `${casella.url}/domains/demo.test/mailboxes/bob@demo.test`);
  await expect(page.locator('#send_tier')).toHaveValue('1000');

  // The audit log has the manager's changes.
  await open(page, testInfo, `${casella.url}/audit`);
  const log = page.locator('#audit-log');
  for (const action of ['customer.slots', 'domain.branding', 'domain.logo', 'mailbox.send_tier']) {
    await expect(log).toContainText(action);
  }
  await expect(log.locator('tr', { hasText: 'mailbox.send_tier' }).first()).toContainText('Daily send limit');
  await shot('manager-audit');
  await page.click('form.logout button');

  // The domain's sign-in page shows its company name and logo.
  await open(page, testInfo, `${casella.url}/login?domain=demo.test`);
  await expect(page.locator('#domain-brand')).toContainText('Demo Mail Srl');
  await expect(page.locator('#domain-brand img.brand-logo')).toHaveAttribute('src', '/branding/demo.test/logo');
  await shot('branded-login');
});
