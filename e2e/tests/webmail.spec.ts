// SPDX-License-Identifier: AGPL-3.0-only
// The webmail, with JavaScript off and hydrated: a message sent by a real SMTP client shows up
// in the Inbox (unread, with its sender and subject), opens in the reader with its text, and
// the way back leads to the list; special folders are named in the page's language; a message
// address the mailbox does not have is not found.
import { expect, test } from '@playwright/test';
import { hydrated, instance, mailClient, open, signIn } from './instance';

test('webmail: the inbox lists a delivered message and the reader shows it', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const alice = 'alice@demo.test';
  const subject = `Figures for ${testInfo.project.name}`;
  const id = `webmail-${testInfo.project.name}@demo.test`;
  const codes = mailClient(['send', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, alice,
    subject, id]);
  expect(codes.trim()).toBe('250 250');
  // A second message, for the shortcuts' walk through the list below.
  const second = mailClient(['send', String(casella.ports.submissions), 'tls', alice, casella.demo[alice], alice, alice,
    `Agenda for ${testInfo.project.name}`, `second-${id}`]);
  expect(second.trim()).toBe('250 250');

  await signIn(page, testInfo, casella.url, alice, casella.demo[alice]);
  await expect(page).not.toHaveURL(/\/login/);
  await page.click('nav.mainnav a[href="/mail"]');
  await expect(page).toHaveURL(/\/mail$/);
  await expect(page.locator('#folders a[data-role="inbox"]')).toHaveClass(/active/);
  await expect(page.locator('#folders a[data-role="inbox"]')).toContainText('Inbox');
  await expect(page.locator('#folders a[data-role="sent"]')).toContainText('Sent');
  await expect(page.locator('#folders a[data-role="trash"]')).toContainText('Trash');

  const row = page.locator('#messages li', { hasText: subject });
  await expect(async () => {
    await page.reload();
    await expect(row.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await hydrated(page, testInfo);
  await expect(row.first()).toHaveClass(/unread/);
  await expect(row.first()).toContainText(alice);
  await shot('inbox');

  await row.first().locator('a').click();
  await expect(page).toHaveURL(/\/mail\/[^/]+\/[^/]+$/);
  await expect(page.locator('#reader-subject')).toHaveText(subject);
  await expect(page.locator('#reader-from')).toContainText(alice);
  await expect(page.locator('#reader-text')).toContainText('Sent by the trace test');
  await shot('reader');
  const reader = page.url();
  await page.click('#back-to-list');
  await expect(page.locator('#messages')).toBeVisible();
  // Another folder: its mark follows (hydrated, the page and its folder list stay).
  await page.locator('#folders a[data-role="sent"]').click();
  await expect(page.locator('#folders a[data-role="sent"]')).toHaveClass(/active/);
  await expect(page.locator('#folders a[data-role="inbox"]')).not.toHaveClass(/active/);
  await page.locator('#folders a[data-role="inbox"]').click();
  await expect(page.locator('#folders a[data-role="inbox"]')).toHaveClass(/active/);
  await expect(page.locator('#folders a[data-role="sent"]')).not.toHaveClass(/active/);

  if (testInfo.project.name === 'hydrated') {
    // Hydrated, the webmail moves between its pages in place: one document for the whole
    // walk (the change stream and the chat's socket stay open), back and forward included;
    // the shortcuts, woken again with each page, act once a key.
    const documents: string[] = [];
    let streams = 0;
    let sockets = 0;
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) documents.push(r.url());
      if (new URL(r.url()).pathname === '/webmail/events') streams += 1;
    });
    page.on('websocket', () => { sockets += 1; });
    await expect(page.locator('#messages li a').nth(1)).toBeVisible();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await expect(page.locator('#reader-subject')).toBeVisible();
    const opened = page.url();
    await page.keyboard.press('u');
    await expect(page.locator('#messages')).toBeVisible();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const focused = await page.evaluate(() =>
      [...document.querySelectorAll('#messages li a')].indexOf(document.activeElement as Element));
    expect(focused).toBe(1);
    await page.goBack();
    await expect(page).toHaveURL(opened);
    await expect(page.locator('#reader-subject')).toBeVisible();
    await page.goForward();
    await expect(page.locator('#messages')).toBeVisible();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await expect(page.locator('#reader-subject')).toBeVisible();
    await shot('reader-in-place');
    expect(documents).toEqual([]);
    expect(streams).toBe(0);
    expect(sockets).toBe(0);
  }

  // A message address the mailbox does not have (another mailbox's, or an edited one) names
  // nothing: a clear error, no reader. (The other mailbox's case is in the Rust tests.)
  await open(page, testInfo, reader.replace(/\/[^/]+$/, '/nope'));
  await expect(page.locator('#reader')).toHaveCount(0);
  await expect(page.locator('.form-error')).toBeVisible();
});

test('webmail: live, a delivery and an IMAP move show within 2 seconds, no reload', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'hydrated', 'live updates need JavaScript');
  const casella = instance(testInfo);
  const alice = 'alice@demo.test';
  const password = casella.demo[alice];
  await signIn(page, testInfo, casella.url, alice, password);
  await expect(page).not.toHaveURL(/\/login/);
  await open(page, testInfo, `${casella.url}/mail`);
  await expect(page.locator('#messages')).toBeVisible();
  // The page must not reload: a marker on the window would be lost.
  await page.evaluate(() => { (window as unknown as { kept: boolean }).kept = true; });
  // The quota bar follows from the change stream's own events, with no request of its own.
  const usedNow = async () => Number(await page.locator('#quota').getAttribute('data-used'));
  const usedBefore = await usedNow();
  // Each change is one request for the list and one for the folders (the folder column's
  // answer serves the list's move menu too).
  const asked: Record<string, number> = {};
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    asked[path] = (asked[path] ?? 0) + 1;
  });

  const subject = `Live arrival ${Date.now()}`;
  const codes = mailClient(['send', String(casella.ports.submissions), 'tls', alice, password, alice, alice,
    subject, `live-${Date.now()}@demo.test`]);
  expect(codes.trim()).toBe('250 250');
  const started = Date.now();
  const row = page.locator('#messages li', { hasText: subject });
  await expect(row).toBeVisible({ timeout: 2_000 });
  testInfo.annotations.push({ type: 'delivery shown after', description: `${Date.now() - started} ms` });
  await expect(page).toHaveTitle(/^\(\d+\) /);
  await expect.poll(usedNow, { timeout: 2_000 }).toBeGreaterThan(usedBefore);
  expect(asked['/api/mail/quota']).toBeUndefined();
  expect(asked['/api/mail/messages']).toBeGreaterThan(0);
  await expect.poll(() => asked['/api/mail/folders']).toBe(asked['/api/mail/messages']);

  // An IMAP client moves it out of the Inbox: it goes from the open list.
  const moved = mailClient(['imap-act', String(casella.ports.imaps), 'tls', alice, password, 'move', 'INBOX', subject,
    'Deleted Items']);
  expect(moved).toContain('ok');
  await expect(row).toHaveCount(0, { timeout: 2_000 });
  expect(await page.evaluate(() => (window as unknown as { kept?: boolean }).kept)).toBe(true);
});
