// SPDX-License-Identifier: AGPL-3.0-only
// The webmail's rules page, with JavaScript off and hydrated: a vacation reply refused without
// its text (the field named, what was typed kept), then saved with its days; a filter added,
// applied by the mail server to a message delivered over SMTP, and removed.
import { expect, test } from '@playwright/test';
import { hydrated, instance, mailClient, open, signIn } from './instance';

test('webmail: vacation reply and filters', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const bob = 'bob@demo.test';
  const alice = 'alice@demo.test';
  const tag = testInfo.project.name;

  await signIn(page, testInfo, casella.url, bob, casella.demo[bob]);
  await expect(page).not.toHaveURL(/\/login/);
  await open(page, testInfo, `${casella.url}/mail`);
  await page.click('#rules-link');
  await expect(page).toHaveURL(/\/mail\/rules$/);
  await hydrated(page, testInfo);

  // The reply needs its text; what was typed stays.
  await page.check('#vacation-on');
  await page.fill('#vacation-first', '2099-08-01');
  await page.fill('#vacation-last', '2099-08-20');
  await page.fill('#vacation-subject', `Away ${tag}`);
  await page.click('#save-vacation');
  await expect(page.locator('#text-error')).toBeVisible();
  await expect(page.locator('#vacation-subject')).toHaveValue(`Away ${tag}`);
  await page.fill('#vacation-text', 'Back on the 21st.');
  await page.click('#save-vacation');
  await expect(page.locator('#rules-notice')).toBeVisible();
  await page.reload();
  await hydrated(page, testInfo);
  await expect(page.locator('#vacation-on')).toBeChecked();
  await expect(page.locator('#vacation-first')).toHaveValue('2099-08-01');
  await expect(page.locator('#vacation-text')).toHaveValue('Back on the 21st.');

  // A filter: prizes go to the Trash.
  await page.selectOption('#filter-field', 'subject');
  await page.fill('#filter-contains', `Prize ${tag}`);
  await page.selectOption('#filter-action', 'trash');
  await page.click('#add-filter-button');
  await expect(page.locator('#filters li')).toHaveCount(1);
  await expect(page.locator('#filters li')).toContainText(`Prize ${tag}`);
  await shot('rules');

  const subject = `Prize ${tag} inside`;
  const codes = mailClient(['send', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, bob,
    subject, `rules-${tag}@demo.test`]);
  expect(codes.trim()).toBe('250 250');
  await expect(async () => {
    await page.goto(`${casella.url}/mail`);
    await page.click('#folders a[data-role="trash"]');
    await expect(page.locator('#messages li', { hasText: subject })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });

  // Removed, and the vacation reply turned off again.
  await open(page, testInfo, `${casella.url}/mail/rules`);
  await page.locator('#filters li button[type=submit]').click();
  await expect(page.locator('#filters li')).toHaveCount(0);
  await page.uncheck('#vacation-on');
  await page.click('#save-vacation');
  // The notice of this save, not the one the removal left (hydrated, the page stays).
  await expect(page.locator('#rules-notice')).toContainText(/vacation reply (saved|is off)/i);
  await page.reload();
  await expect(page.locator('#vacation-on')).not.toBeChecked();
});
