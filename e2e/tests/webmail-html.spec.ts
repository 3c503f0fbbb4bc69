// SPDX-License-Identifier: AGPL-3.0-only
// HTML mail in the webmail, with JavaScript off and hydrated. A real SMTP client sends alice a
// formatted message built from the shared sanitiser corpus (every XSS vector and the whole
// HTTPLeaks page) with an inline cid: image and an attachment. Rendered in Chromium:
// - no script runs (no dialog opens) and, with remote content blocked, no request leaves
//   Casella's own origin: every request is intercepted and one to anywhere else fails the test;
// - the cid: image comes from the message's own part, the attachment downloads under its name;
// - "Show images" loads the remote images through Casella's image proxy only: the browser still
//   asks nothing of anyone else, and the sender's host sees the proxy, not the reader;
// - the plain-text version and the .eml download are one click away.
import { createServer, type IncomingMessage } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { hydrated, instance, mailClient, signIn } from './instance';

const corpus = resolve(__dirname, '..', '..', '..', 'shared', 'corpora', 'html-sanitizer');

test('webmail: HTML mail runs nothing and loads nothing from outside', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const casella = instance(testInfo);
  const origin = new URL(casella.url).origin;
  const alice = 'alice@demo.test';
  const subject = `Corpus newsletter ${testInfo.project.name}`;

  // The sender's image host: every request it gets is recorded with its User-Agent.
  const senderHits: string[] = [];
  const host = createServer((req: IncomingMessage, res) => {
    senderHits.push(req.headers['user-agent'] ?? '');
    res.writeHead(200, { 'Content-Type': 'image/gif' });
    res.end(Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'));
  });
  await new Promise<void>((done) => host.listen(0, '127.0.0.1', done));
  const hostPort = (host.address() as { port: number }).port;

  const vectors = readFileSync(resolve(corpus, 'xss-vectors.jsonl'), 'utf8')
    .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).vector as string);
  expect(vectors.length).toBeGreaterThan(1000);
  const html = `<h1>Hello from the newsletter</h1>
<p><img src="cid:logo@casella.test" alt="logo">
<img src="http://127.0.0.1:${hostPort}/open.gif?who=alice" alt="tracker"></p>
${readFileSync(resolve(corpus, 'httpleaks', 'leak.html'), 'utf8')}
${vectors.map((v) => `<div>${v}</div>`).join('\n')}`;
  const file = testInfo.outputPath('newsletter.html');
  writeFileSync(file, html);
  const sent = mailClient(['send-html', String(casella.ports.submissions), 'tls', alice, casella.demo[alice],
    alice, alice, subject, `corpus-${testInfo.project.name}@demo.test`, file]);
  expect(sent.trim()).toBe('250');

  // Every request is seen; one that leaves Casella's origin is recorded and refused.
  const outside: string[] = [];
  const dialogs: string[] = [];
  const statuses = new Map<string, number>();
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith('data:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  page.on('response', (r) => statuses.set(new URL(r.url()).pathname, r.status()));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });

  await signIn(page, testInfo, casella.url, alice, casella.demo[alice]);
  await expect(page).not.toHaveURL(/\/login/);
  const row = page.locator('#messages li', { hasText: subject });
  await expect(async () => {
    await page.goto(`${casella.url}/mail`);
    await expect(row.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await hydrated(page, testInfo);
  await row.first().locator('a').click();
  await expect(page.locator('#reader-subject')).toHaveText(subject);

  const frame = page.frameLocator('#reader-html');
  await expect(frame.locator('h1', { hasText: 'Hello from the newsletter' })).toBeVisible();
  await expect(page.locator('#remote-images')).toBeVisible();
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(1_000);
  const partPaths = [...statuses.keys()].filter((p) => /^\/webmail\/messages\/[^/]+\/parts\//.test(p));
  expect(partPaths.length, 'the cid: image is loaded from the message').toBeGreaterThan(0);
  for (const p of partPaths) expect(statuses.get(p)).toBe(200);
  expect(outside, 'requests that left Casella').toEqual([]);
  expect(dialogs, 'script ran').toEqual([]);
  expect(senderHits, 'the sender learnt the message was read').toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('html-blocked.png'), fullPage: true });

  // The attachment downloads under its own name.
  const attachment = page.locator('#attachments a.name', { hasText: 'figures' });
  await expect(attachment).toHaveText('figures è.txt');
  const download = await page.request.get(`${casella.url}${await attachment.getAttribute('href')}`);
  expect(download.status()).toBe(200);
  expect(await download.text()).toBe('quarterly figures\n');
  expect(download.headers()['content-disposition']).toContain("filename*=UTF-8''figures%20%C3%A8.txt");
  const eml = await page.request.get(`${casella.url}${await page.locator('#download-eml').getAttribute('href')}`);
  expect(await eml.text()).toContain(`Message-ID: <corpus-${testInfo.project.name}@demo.test>`);

  // Images shown: only through the proxy. The browser still asks nothing of anyone else.
  await page.click('#show-images');
  await expect(page.locator('#remote-images')).toHaveCount(0);
  await expect(frame.locator('h1', { hasText: 'Hello from the newsletter' })).toBeVisible();
  // (Shown in place when hydrated: the page's load state is the first page's, so the waits
  // are on what the frame asks for.)
  await expect.poll(() => senderHits.length, { timeout: 10_000 }).toBeGreaterThan(0);
  expect(senderHits.every((ua) => ua === 'Casella image proxy'), senderHits.join(', ')).toBe(true);
  await expect.poll(() => [...statuses.keys()].some((p) => p === '/webmail/image')).toBe(true);
  expect(outside, 'requests that left Casella').toEqual([]);
  expect(dialogs, 'script ran').toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('html-images.png'), fullPage: true });

  // The plain-text version.
  await page.click('#view-text');
  await expect(page.locator('#reader-text')).toContainText(`The plain-text part of ${subject}.`);
  await expect(page.locator('#reader-html')).toHaveCount(0);
  host.close();
});
