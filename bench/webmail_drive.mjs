// SPDX-License-Identifier: AGPL-3.0-only
// One script for both webmails (bench/webmail.py runs it): in Debian's Chromium, with a fresh
// profile each run (nothing cached, as on a new device), sign in, wait for the Inbox's rows,
// open the first message and wait for its text, then search for one word that only the
// 5,000th message has, open it and wait for its text; then, signed out, the same again with
// the browser's cache kept (a user coming back). Each step's time and the bytes that crossed
// the network (compressed bodies plus headers, every frame) are printed as JSON.
//
//   node bench/webmail_drive.mjs '{"webmail":"casella","base":"http://…","user":"…",
//                                  "password":"…","needle":"…","runs":5}'
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(resolve(here, '..', 'e2e', 'package.json'));
const { chromium } = require('@playwright/test');

const args = JSON.parse(process.argv[2]);
const TIMEOUT = 60_000;

/** How each webmail shows the same steps. */
const webmails = {
  casella: {
    start: (base) => `${base}/login`,
    async signIn(page, user, password) {
      await page.fill('#login', user);
      await page.fill('#password', password);
      await page.click('#login-form button[type=submit]');
    },
    rows: '#messages li',
    async openFirst(page) {
      await page.locator('#messages li a').first().click();
    },
    async bodyVisible(page) {
      // Plain text in the page, or HTML in its sandboxed frame (loaded and painted).
      const text = page.locator('#reader-text, #reader-html');
      await text.first().waitFor({ state: 'visible', timeout: TIMEOUT });
      const frame = page.locator('iframe#reader-html');
      if (await frame.count()) {
        await page.frameLocator('iframe#reader-html').locator('body').waitFor({ timeout: TIMEOUT });
      }
    },
    async search(page, needle) {
      await page.fill('#q', needle);
      await page.click('#search-button');
    },
    async openMatch(page, needle) {
      const row = page.locator('#messages li', { hasText: needle });
      await row.first().waitFor({ timeout: TIMEOUT });
      await row.first().locator('a').first().click();
    },
  },
  roundcube: {
    start: (base) => `${base}/`,
    async signIn(page, user, password) {
      await page.fill('#rcmloginuser', user);
      await page.fill('#rcmloginpwd', password);
      await page.click('#rcmloginsubmit');
    },
    rows: '#messagelist tbody tr',
    async openFirst(page) {
      await page.locator('#messagelist tbody tr').first().locator('td.subject').click();
    },
    async bodyVisible(page) {
      // The Elastic skin opens a message in its preview frame.
      await page.frameLocator('#messagecontframe').locator('#messagebody').waitFor({ state: 'visible', timeout: TIMEOUT });
    },
    async search(page, needle) {
      const box = page.locator('#mailsearchform');
      await box.fill(needle);
      await box.press('Enter');
    },
    async openMatch(page, needle) {
      const row = page.locator('#messagelist tbody tr', { hasText: needle });
      await row.first().waitFor({ timeout: TIMEOUT });
      await row.first().locator('td.subject').click();
      // The preview frame must show the match, not the message opened before.
      await page.frameLocator('#messagecontframe').locator('#messagebody', { hasText: needle })
        .or(page.frameLocator('#messagecontframe').locator('.subject', { hasText: needle }))
        .first().waitFor({ timeout: TIMEOUT });
    },
  },
};

/** The steps once, in `page`; the times in ms and the bytes counted since `settle` began. */
async function flow(page, w, settle) {
  const marks = {};
  let t = performance.now();
  const t0 = t;
  await page.goto(w.start(args.base));
  await w.signIn(page, args.user, args.password);
  await page.locator(w.rows).first().waitFor({ state: 'visible' });
  marks.inbox_ms = performance.now() - t;
  t = performance.now();
  await w.openFirst(page);
  await w.bodyVisible(page);
  marks.open_ms = performance.now() - t;
  marks.first_ms = performance.now() - t0;
  marks.first_bytes = await settle();
  t = performance.now();
  await w.search(page, args.needle);
  await w.openMatch(page, args.needle);
  await w.bodyVisible(page);
  marks.search_ms = performance.now() - t;
  marks.total_ms = performance.now() - t0;
  // Let what the last page started (scripts, previews) finish, so it is counted.
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => {});
  marks.total_bytes = await settle();
  return marks;
}

/** A new profile: the steps with nothing cached (cold), then signed out and again with the
 *  browser's cache as the first pass left it (warm, as for a user coming back). */
async function run(browser, w) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  let bytes = 0;
  let requests = 0;
  const pending = [];
  context.on('requestfinished', (request) => {
    requests += 1;
    pending.push(request.sizes().then((s) => {
      bytes += s.responseBodySize + s.responseHeadersSize + s.requestHeadersSize + s.requestBodySize;
    }, () => {}));
  });
  const counter = () => {
    bytes = 0;
    requests = 0;
    return async () => { await Promise.all(pending.splice(0)); return bytes; };
  };
  const cold = await flow(page, w, counter());
  cold.requests = requests;
  if (args.screenshot) await page.screenshot({ path: args.screenshot });
  await context.clearCookies();
  await page.goto('about:blank');
  await Promise.all(pending.splice(0));
  const warm = await flow(page, w, counter());
  warm.requests = requests;
  await context.close();
  const marks = { ...cold };
  for (const [k, v] of Object.entries(warm)) marks[`warm_${k}`] = v;
  return marks;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const w = webmails[args.webmail];
const runs = [];
try {
  for (let i = 0; i < (args.runs ?? 5); i += 1) {
    runs.push(await run(browser, w));
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(runs));
