// SPDX-License-Identifier: AGPL-3.0-only
// The webmail's settings, with JavaScript off and hydrated: a name and signature saved and
// found in a new message; the list by conversation with a smaller page; the print view. With
// JavaScript: addresses suggested while typing a recipient, and a message dragged onto a
// folder moves there.
import { expect, test } from '@playwright/test';
import { hydrated, instance, mailClient, open, signIn, signInPostmaster } from './instance';

test('webmail: signature, reading preferences, suggestions, drag and print', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const bob = 'bob@demo.test';
  const alice = 'alice@demo.test';
  const tag = testInfo.project.name;
  const js = tag === 'hydrated';

  await signIn(page, testInfo, casella.url, bob, casella.demo[bob]);
  await expect(page).not.toHaveURL(/\/login/);
  await open(page, testInfo, `${casella.url}/mail`);
  await page.click('#settings-link');
  await expect(page).toHaveURL(/\/mail\/settings$/);
  await hydrated(page, testInfo);

  // A name and a signature for bob's own address.
  await expect(page.locator('#identity-0 h3')).toHaveText(bob);
  await page.fill('#identity-0-name', `Bruno ${tag}`);
  await page.fill('#identity-0-signature', `Bruno Bianchi\nDemo S.r.l. ${tag}`);
  await page.locator('#identity-0 button[type=submit]').click();
  await expect(page.getByRole('status').filter({ hasText: /signature|firma/i }).first()).toBeVisible();
  // Reading: 25 a page, by conversation.
  await page.selectOption('#page-size', '25');
  await page.check('#conversations');
  await page.click('#save-reading');
  await expect(page.locator('#settings-notice')).toBeVisible();
  await page.reload();
  await hydrated(page, testInfo);
  await expect(page.locator('#identity-0-signature')).toHaveValue(`Bruno Bianchi\nDemo S.r.l. ${tag}`);
  await expect(page.locator('#page-size')).toHaveValue('25');
  await expect(page.locator('#conversations')).toBeChecked();
  await shot('settings');

  // A new message starts with the signature.
  await open(page, testInfo, `${casella.url}/compose`);
  await expect(page.locator('#compose-text')).toHaveValue(`\n\n-- \nBruno Bianchi\nDemo S.r.l. ${tag}`);

  if (js) {
    // Suggestions for the address being typed, picked with the keyboard.
    await expect(page.locator('#compose[data-live="true"]')).toHaveCount(1, { timeout: 20_000 });
    await page.locator('#compose-to').pressSequentially('ali');
    const options = page.locator('#compose-to-suggestions [role=option]');
    await expect(options.first()).toContainText(alice);
    await expect(page.locator('#compose-to')).toHaveAttribute('aria-expanded', 'true');
    await shot('suggestions');
    await page.locator('#compose-to').press('ArrowDown');
    await page.locator('#compose-to').press('Enter');
    await expect(page.locator('#compose-to')).toHaveValue(new RegExp(`<${alice}>, $`));
    await expect(page.locator('#compose-to-suggestions')).toBeHidden();

    // Formatting: the editable text replaces the field; bold text reaches form[html], and the
    // plain text follows in the field.
    await page.click('#rich-switch');
    await expect(page.locator('#compose-text')).toBeHidden();
    const rich = page.locator('#compose-rich');
    await expect(rich).toBeVisible();
    await rich.click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('Big news');
    await page.keyboard.down('Shift');
    for (let i = 0; i < 'Big news'.length; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.up('Shift');
    await page.locator('.rich-tools button[data-command="bold"]').click();
    await expect(page.locator('input[name="form[html]"]')).toHaveValue(/<b>Big news<\/b>/);
    await expect(page.locator('#compose-text')).toHaveValue(/^Big news/);
    await shot('formatting');
    await page.click('#rich-switch');
    await expect(page.locator('#compose-text')).toBeVisible();
    await expect(page.locator('input[name="form[html]"]')).toHaveValue('');
  }

  // Two messages from alice, each its own conversation; the list shows 25 a page.
  const subjects = [`Drag me ${tag}`, `Print me ${tag}`];
  for (const subject of subjects) {
    const codes = mailClient(['send', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, bob,
      subject, `${subject.replace(/ /g, '-')}@demo.test`]);
    expect(codes.trim()).toBe('250 250');
  }
  await expect(async () => {
    await page.goto(`${casella.url}/mail`);
    await expect(page.locator('#messages li', { hasText: subjects[1] })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await hydrated(page, testInfo);
  expect(await page.locator('#messages li').count()).toBeLessThanOrEqual(25);

  if (js) {
    // Dragged onto the Trash: gone from the Inbox, found in the Trash.
    const row = page.locator('#messages li', { hasText: subjects[0] });
    await row.dragTo(page.locator('#folders a[data-role="trash"]'));
    await expect(page.locator('#messages li', { hasText: subjects[0] })).toHaveCount(0);
    await page.click('#folders a[data-role="trash"]');
    await expect(page.locator('#messages li', { hasText: subjects[0] })).toBeVisible();
    await page.goto(`${casella.url}/mail`);
    await hydrated(page, testInfo);
  }

  // The print view: the message alone, without the folders or the buttons.
  await page.locator('#messages li', { hasText: subjects[1] }).locator('a').click();
  await expect(page.locator('#reader-subject')).toHaveText(subjects[1]);
  const printUrl = await page.locator('#print').getAttribute('href');
  expect(printUrl).toContain('print=1');
  await page.goto(`${casella.url}${printUrl}`);
  await expect(page.locator('#reader.print-view')).toHaveCount(1);
  await expect(page.locator('#reader-subject')).toBeVisible();
  await expect(page.locator('#folders')).toBeHidden();
  await expect(page.locator('#reader-actions')).toBeHidden();
  await shot('print-view');

  // Back to the defaults, so other specs see bob's list as before.
  await open(page, testInfo, `${casella.url}/mail/settings`);
  await page.selectOption('#page-size', '50');
  await page.uncheck('#conversations');
  await page.click('#save-reading');
  await expect(page.locator('#settings-notice')).toBeVisible();
  await page.fill('#identity-0-signature', '');
  await page.locator('#identity-0 button[type=submit]').click();
  await expect(page.getByRole('status').filter({ hasText: /signature|firma/i }).first()).toBeVisible();
});

test('webmail: a new sender swaps the signature, in plain text and with formatting', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'hydrated', 'swapping while writing needs JavaScript');
  test.setTimeout(120_000);
  const casella = instance(testInfo);
  const bob = 'bob@demo.test';
  const alias = 'bruno@demo.test';

  // The postmaster gives bob a second address.
  await signInPostmaster(page, testInfo, casella);
  await open(page, testInfo, `${casella.url}/domains/demo.test/mailboxes/${bob}`);
  await page.fill('#alias', 'bruno');
  await page.click('#alias-form button[type=submit]');
  await expect(page.locator('.aliases')).toContainText(alias);
  await page.click('form.logout button');

  // bob signs each address differently.
  await signIn(page, testInfo, casella.url, bob, casella.demo[bob]);
  await expect(page).not.toHaveURL(/\/login/);
  await open(page, testInfo, `${casella.url}/mail/settings`);
  const sign = async (address: string, signature: string) => {
    const form = page.locator('form.identity', { has: page.locator('h3', { hasText: address }) });
    await form.locator('textarea').fill(signature);
    await form.locator('button[type=submit]').click();
    await expect(page.getByRole('status').filter({ hasText: /signature|firma/i }).first()).toBeVisible();
    await page.reload();
    await hydrated(page, testInfo);
    await expect(form.locator('textarea')).toHaveValue(signature);
  };
  await sign(bob, 'Bob at the desk');
  await sign(alias, 'Bruno for sales');

  await open(page, testInfo, `${casella.url}/compose`);
  await expect(page.locator('#compose[data-live="true"]')).toHaveCount(1, { timeout: 20_000 });
  const text = page.locator('#compose-text');
  await expect(text).toHaveValue('\n\n-- \nBob at the desk');
  await text.press('Control+Home');
  await text.type('Hello');
  // Plain text: the signature changes where it stands, the words above stay.
  await page.selectOption('#compose-from', alias);
  await expect(text).toHaveValue('Hello\n\n-- \nBruno for sales');
  // With formatting: the same in the editable text, and in both fields sent.
  await page.click('#rich-switch');
  const rich = page.locator('#compose-rich');
  await expect(rich).toContainText('Bruno for sales');
  await page.selectOption('#compose-from', bob);
  await expect(rich).toContainText('Bob at the desk');
  await expect(rich).not.toContainText('Bruno for sales');
  await expect(rich).toContainText('Hello');
  await expect(page.locator('input[name="form[html]"]')).toHaveValue(/Bob at the desk/);
  await page.click('#rich-switch');
  await expect(text).toHaveValue(/^Hello\n+-- \nBob at the desk$/);

  // Back as it was for the other specs.
  await open(page, testInfo, `${casella.url}/mail/settings`);
  await sign(bob, '');
  await sign(alias, '');
});
