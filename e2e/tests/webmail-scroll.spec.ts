// SPDX-License-Identifier: AGPL-3.0-only
// A long folder. Without JavaScript it is paged with Newer / Older links. Hydrated, it scrolls
// on: the following pages are added as the end comes near, pages far above are taken out (the
// document never holds more than four pages of rows) and come back when scrolled up to, and a
// row of an added page can be selected and acted on like any other.
import { expect, test } from '@playwright/test';
import { hydrated, instance, mailClient, open, signIn } from './instance';

const COUNT = 160; // 7 pages of 25
const PAGE = 25;

test('webmail: a long folder pages without JavaScript and scrolls on with it', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
  const alice = 'alice@demo.test';
  const js = testInfo.project.name === 'hydrated';
  const folder = `Long ${testInfo.project.name}`;
  const prefix = `Row ${testInfo.project.name}`;
  const filled = mailClient(['imap-fill', String(casella.ports.imaps), 'tls', alice, casella.demo[alice], folder,
    String(COUNT), prefix]);
  expect(filled.trim()).toBe(`filled ${COUNT}`);

  await signIn(page, testInfo, casella.url, alice, casella.demo[alice]);
  await expect(page).not.toHaveURL(/\/login/);
  await open(page, testInfo, `${casella.url}/mail/settings`);
  await page.selectOption('#page-size', String(PAGE));
  await page.click('#save-reading');
  await expect(page.locator('#settings-notice')).toBeVisible();

  await open(page, testInfo, `${casella.url}/mail`);
  await page.locator('#folders a', { hasText: folder }).click();
  await hydrated(page, testInfo);
  const rows = page.locator('#messages li[data-id]');
  const row = (n: number) => rows.filter({ has: page.locator('.subject', { hasText: new RegExp(`^${prefix} ${n}$`) }) });
  if (js) {
    // Hydrated, the next page may already be coming: the list's end starts near the screen.
    await expect(rows.nth(PAGE - 1)).toBeAttached();
  } else {
    await expect(rows).toHaveCount(PAGE);
  }
  await expect(row(COUNT)).toBeVisible();

  if (!js) {
    // Pages: the Older link leads on, the Newer link back.
    await expect(page.locator('#messages .pager')).toContainText(`1 / ${Math.ceil(COUNT / PAGE)}`);
    await page.click('#mail-older');
    await expect(row(COUNT - PAGE)).toBeVisible();
    await expect(row(COUNT)).toHaveCount(0);
    await page.click('#mail-newer');
    await expect(row(COUNT)).toBeVisible();
    await shot('paged');
    return;
  }

  // The pager gives way to the scrolling list.
  await expect(page.locator('#messages .pager')).toBeHidden();
  // Scrolling down adds pages until the oldest message.
  await expect(async () => {
    await page.mouse.wheel(0, 4000);
    await expect(row(1)).toBeAttached({ timeout: 500 });
  }).toPass({ timeout: 30_000 });
  await row(1).scrollIntoViewIfNeeded();
  await expect(row(1)).toBeVisible();
  await shot('scrolled-to-the-end');
  // The actions stay at hand, this far down.
  await expect(page.locator('#messages .toolbar')).toBeInViewport();
  // Never more than the first page and three more in the document; a spacer holds the rest.
  expect(await rows.count()).toBeLessThanOrEqual(4 * PAGE);
  await expect(row(COUNT - PAGE - 1)).toHaveCount(0);
  const spacer = await page.locator('#messages .list-spacer').evaluate((el) => el.getBoundingClientRect().height);
  expect(spacer).toBeGreaterThan(0);
  // The rows keep their order: newest first, each once.
  const subjects = await rows.locator('.subject').allTextContents();
  const numbers = subjects.map((s) => Number(s.split(' ').pop()));
  expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
  expect(new Set(numbers).size).toBe(numbers.length);

  // A row of an added page is selected and marked unread, like any other.
  const last = row(1);
  await last.locator('input[type=checkbox]').check();
  await page.click('#act-unread');
  await expect(row(1)).toHaveClass(/unread/, { timeout: 10_000 });
  // The list drawn again is where it was: the pages added, the row still on screen.
  await expect(row(1)).toBeInViewport();
  const state = mailClient(['imap-state', String(casella.ports.imaps), 'tls', alice, casella.demo[alice]]);
  const marked = JSON.parse(state)[folder]?.find((m: { subject: string }) => m.subject === `${prefix} 1`);
  expect(marked?.flags).not.toContain('\\Seen');

  // Scrolling back up brings the pages taken out back, in their place.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(async () => {
    await page.mouse.wheel(0, 1500);
    await expect(row(COUNT - PAGE - 1)).toBeAttached({ timeout: 500 });
  }).toPass({ timeout: 30_000 });
  await expect(row(COUNT)).toBeAttached();
  await shot('scrolled-back');

  // Opening a message from the list fetches its page, made on the server, and shows it in
  // place: no new document, no server function asked (not the message, and not again the
  // list or who is signed in), the change stream and the chat's socket kept open. The way
  // back brings the list back, in place too.
  const calls: string[] = [];
  const documents: string[] = [];
  const fetched: string[] = [];
  const answers: Promise<string>[] = [];
  let sockets = 0;
  page.on('websocket', () => { sockets += 1; });
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/') || path === '/webmail/events') calls.push(path);
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) documents.push(path);
    else if (r.resourceType() === 'fetch' && path.startsWith('/mail')) fetched.push(path);
  });
  page.on('response', (r) => {
    if (r.request().resourceType() === 'fetch' && new URL(r.url()).pathname.startsWith('/mail/')) {
      answers.push(r.text());
    }
  });
  await row(COUNT).locator('a').first().click();
  await expect(page.locator('#reader-subject')).toHaveText(`${prefix} ${COUNT}`);
  expect(fetched).toHaveLength(1);
  expect(fetched[0]).toMatch(/^\/mail\/[^/]+\/[^/]+$/);
  // Only the page's own part came: not the header (with the chat) the document already has.
  const answer = await answers[0];
  expect(answer).toContain('<main class="page"');
  expect(answer).not.toContain('class="topbar"');
  expect(answer).not.toContain('rel="stylesheet"');
  // The header is still there, once.
  await expect(page.locator('header.topbar')).toHaveCount(1);
  await expect(page.locator('#chat')).toHaveCount(1);
  // (The folders may be asked again: reading the message changed their unread counts.)
  expect(calls.filter((c) => c.startsWith('/api/auth/') || c.startsWith('/api/mail/message')
    || c === '/webmail/events')).toEqual([]);
  await page.goBack();
  await expect(row(COUNT)).toBeVisible();
  expect(fetched).toHaveLength(2);
  expect(documents).toEqual([]);
  expect(sockets).toBe(0);
});

test.afterEach(async ({ page }, testInfo) => {
  // alice's list as before, for the other specs.
  const casella = instance(testInfo);
  await open(page, testInfo, `${casella.url}/mail/settings`);
  if (page.url().endsWith('/mail/settings')) {
    await page.selectOption('#page-size', '50');
    await page.click('#save-reading');
    await expect(page.locator('#settings-notice')).toBeVisible();
  }
});
