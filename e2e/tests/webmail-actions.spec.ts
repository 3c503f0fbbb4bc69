// SPDX-License-Identifier: AGPL-3.0-only
// Acting on mail in the webmail, with JavaScript off and hydrated: a folder made on the folders
// page, messages selected in the list and flagged or moved, a message deleted from the reader
// (back to the list, into the Trash), the Trash emptied. Each step is checked against what a
// real IMAP client then sees.
import { expect, test } from '@playwright/test';
import { hydrated, instance, mailClient, signIn } from './instance';

test('webmail: flag, move, delete and empty the Trash, as IMAP then sees it', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const user = 'alice@demo.test';
  const password = casella.demo[user];
  const tag = testInfo.project.name;
  const subjects = [`Plan ${tag}`, `Budget ${tag}`];
  for (const [n, subject] of subjects.entries()) {
    const codes = mailClient(['send', String(casella.ports.submissions), 'tls', user, password, user, user,
      subject, `act-${tag}-${n}@demo.test`]);
    expect(codes.trim()).toBe('250 250');
  }
  const imap = () => JSON.parse(mailClient(['imap-state', String(casella.ports.imaps), 'tls', user, password])) as
    Record<string, { subject: string; flags: string[] }[]>;
  const imapFolderOf = (subject: string) =>
    Object.entries(imap()).find(([, rows]) => rows.some((r) => r.subject === subject))?.[0];

  await signIn(page, testInfo, casella.url, user, password);
  await expect(page).not.toHaveURL(/\/login/);

  // A folder of one's own.
  const folder = `Projects ${tag}`;
  await page.goto(`${casella.url}/folders`);
  await hydrated(page, testInfo);
  await page.fill('#folder-name', folder);
  await page.click('#create-folder button[type=submit]');
  await expect(page.locator('#folder-admin li', { hasText: folder })).toBeVisible();
  // A name with a slash is refused on its field, and what was typed is kept.
  await page.fill('#folder-name', 'a/b');
  await page.click('#create-folder button[type=submit]');
  await expect(page.locator('#name-error')).toBeVisible();
  await shot('folders');

  // The list: select the plan, flag it, then move it into the new folder.
  const rowOf = (subject: string) => page.locator('#messages li', { hasText: subject });
  // Opens a folder from the list and waits for a row in it. The folder list is drawn again
  // whenever the mail changes (a live update can land just as the link is clicked, and a
  // click on a link being replaced goes nowhere), so the click is repeated until it opens.
  const openFolder = async (link: string, subject: string) => {
    await expect(async () => {
      await page.click(link);
      await expect(rowOf(subject)).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 15_000 });
  };
  await expect(async () => {
    await page.goto(`${casella.url}/mail`);
    await expect(rowOf(subjects[1])).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await hydrated(page, testInfo);
  await rowOf(subjects[0]).locator('input[type=checkbox]').check();
  await page.click('#act-flag');
  await expect(rowOf(subjects[0])).toHaveClass(/flagged/);
  expect(imap()['INBOX'].find((r) => r.subject === subjects[0])?.flags).toContain('\\Flagged');

  await rowOf(subjects[0]).locator('input[type=checkbox]').check();
  await page.selectOption('#move-to', { label: folder });
  await page.click('#act-move');
  await expect(rowOf(subjects[0])).toHaveCount(0);
  expect(imapFolderOf(subjects[0])).toBe(folder);
  await openFolder(`#folders a:has-text("${folder}")`, subjects[0]);
  await shot('moved');

  // The reader: delete goes back to the list, and the message is in the Trash.
  await page.goto(`${casella.url}/mail`);
  await hydrated(page, testInfo);
  await rowOf(subjects[1]).locator('a').click();
  await expect(page.locator('#reader-subject')).toHaveText(subjects[1]);
  await page.click('#act-delete');
  await expect(page.locator('#messages')).toBeVisible();
  await expect(rowOf(subjects[1])).toHaveCount(0);
  await openFolder('#folders a[data-role="trash"]', subjects[1]);
  expect(imapFolderOf(subjects[1])).not.toBe('INBOX');

  // Emptying the Trash deletes for good.
  await page.click('#empty-trash button[type=submit]');
  await expect(rowOf(subjects[1])).toHaveCount(0);
  expect(imapFolderOf(subjects[1])).toBeUndefined();
  await shot('trash-emptied');
});
