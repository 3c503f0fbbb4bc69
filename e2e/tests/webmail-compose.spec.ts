// SPDX-License-Identifier: AGPL-3.0-only
// Writing mail in the webmail, with JavaScript off and hydrated: a wrong address named on its
// field with what was typed kept, a message sent (in Sent, and delivered), a reply and a
// forward started from the reader, a draft saved, taken up again from Drafts and thrown away,
// and a send beyond the daily limit on external recipients showing the refusal.
import { expect, test, type Page } from '@playwright/test';
import { hydrated, instance, mailClient, signIn } from './instance';
import type { TestInfo } from '@playwright/test';

/** The compose page, hydrated: its form's handlers are attached (a click before that would
 * post the form the plain way, which works too but is not what the hydrated project tests). */
async function editorReady(page: Page, testInfo: TestInfo) {
  await hydrated(page, testInfo);
  if (testInfo.project.name === 'hydrated') {
    await expect(page.locator('#compose[data-live="true"]')).toHaveCount(1, { timeout: 20_000 });
  }
}

test('webmail: compose, send, reply, forward, drafts and the daily limit', async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const js = testInfo.project.name === 'hydrated';
  const alice = 'alice@demo.test';
  const password = casella.demo[alice];
  const tag = testInfo.project.name;
  const imap = () => JSON.parse(mailClient(['imap-state', String(casella.ports.imaps), 'tls', alice, password])) as
    Record<string, { subject: string; flags: string[] }[]>;
  const rowOf = (subject: string) => page.locator('#messages li', { hasText: subject });
  const inInbox = async (subject: string) => {
    await expect(async () => {
      await page.goto(`${casella.url}/mail`);
      await expect(rowOf(subject).first()).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await hydrated(page, testInfo);
  };
  const compose = async (p: Page, url: string) => {
    await p.goto(url);
    await editorReady(p, testInfo);
    await expect(p.locator('#compose')).toBeVisible();
  };

  await signIn(page, testInfo, casella.url, alice, password);
  await expect(page).not.toHaveURL(/\/login/);

  // From the list to a new message.
  await page.goto(`${casella.url}/mail`);
  await hydrated(page, testInfo);
  await page.click('#compose-new');
  await expect(page).toHaveURL(/\/compose$/);
  await editorReady(page, testInfo);
  await expect(page.locator('#compose-from')).toHaveValue(alice);

  // A wrong address is named on its field; nothing typed is lost.
  const subject = `Lunch ${tag}`;
  await page.fill('#compose-to', 'bob at demo');
  await page.fill('#compose-subject', subject);
  await page.fill('#compose-text', 'Shall we meet at noon?');
  await page.click('#send');
  await expect(page.locator('#to-error')).toBeVisible();
  await expect(page.locator('#compose-subject')).toHaveValue(subject);
  await expect(page.locator('#compose-text')).toHaveValue('Shall we meet at noon?');
  await shot('compose-error');

  // Sent to oneself and to bob: back in the list with a confirmation, a copy in Sent.
  await page.fill('#compose-to', `${alice}, Bob <bob@demo.test>`);
  await page.click('#send');
  await expect(page.locator('#mail-notice')).toContainText(/Message sent|Messaggio inviato/);
  await inInbox(subject);
  expect(imap()['Sent Items'].some((r) => r.subject === subject)).toBe(true);

  // Search finds it: a GET form, so the results are an address.
  await expect(async () => {
    await page.goto(`${casella.url}/mail`);
    await page.fill('#q', `subject:"${subject}" in:sent`);
    await page.click('#search-button');
    await expect(page).toHaveURL(/[?&]q=/);
    await expect(rowOf(subject)).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  // A search not understood is said under the box, as typed (a search is an address: a GET
  // form, a new page with or without JavaScript).
  await hydrated(page, testInfo);
  await page.fill('#q', 'before:2026-02-30');
  await page.click('#search-button');
  await expect(page.locator('#q-error')).toBeVisible();
  await expect(page.locator('#q')).toHaveValue('before:2026-02-30');
  await expect(page).toHaveURL(/[?&]q=before/);
  await page.goto(`${casella.url}/mail`);
  await hydrated(page, testInfo);

  // A reply from the reader: to the sender, "Re:", the original quoted.
  await rowOf(subject).first().locator('a').click();
  await expect(page.locator('#reader-subject')).toHaveText(subject);
  await page.click('#reply');
  await expect(page).toHaveURL(/\/compose\?reply=/);
  await editorReady(page, testInfo);
  await expect(page.locator('#compose-to')).toHaveValue(`Alice Rossi <${alice}>`);
  await expect(page.locator('#compose-subject')).toHaveValue(`Re: ${subject}`);
  await expect(page.locator('#compose-text')).toHaveValue(/> Shall we meet at noon\?/);
  const quoted = await page.locator('#compose-text').inputValue();
  await page.fill('#compose-text', `Yes, see you there.\n${quoted}`);
  await shot('compose-reply');
  await page.click('#send');
  await expect(page.locator('#mail-notice')).toBeVisible();
  await inInbox(`Re: ${subject}`);
  // The message answered is marked, and mail to oneself is in the Inbox once.
  await expect.poll(() => imap()['INBOX'].find((r) => r.subject === subject)?.flags ?? [], { timeout: 10_000 })
    .toContain('\\Answered');
  expect(imap()['INBOX'].filter((r) => r.subject === subject)).toHaveLength(1);

  // A forward from the reader carries the original's text under its header block.
  await rowOf(`Re: ${subject}`).first().locator('a').click();
  await page.click('#forward');
  await editorReady(page, testInfo);
  await expect(page.locator('#compose-subject')).toHaveValue(`Fwd: Re: ${subject}`);
  await expect(page.locator('#compose-text')).toHaveValue(/Forwarded message[\s\S]*Yes, see you there\./);
  await expect(page.locator('#compose-to')).toHaveValue('');

  // A draft: saved, found in Drafts, taken up again as it was, then thrown away.
  const draft = `Draft ${tag}`;
  await compose(page, `${casella.url}/compose`);
  await page.fill('#compose-to', 'bob@demo.test');
  await page.fill('#compose-subject', draft);
  await page.fill('#compose-text', 'Not finished yet.');
  await page.click('#save-draft');
  await expect(page.locator('#draft-state')).toHaveText(/Saved in Drafts|Salvato nelle Bozze/);
  await page.goto(`${casella.url}/mail`);
  await hydrated(page, testInfo);
  await page.click('#folders a[data-role="drafts"]');
  await rowOf(draft).locator('a').click();
  await expect(page).toHaveURL(/\/compose\?draft=/);
  await editorReady(page, testInfo);
  await expect(page.locator('#compose-subject')).toHaveValue(draft);
  await expect(page.locator('#compose-text')).toHaveValue('Not finished yet.');
  await expect(page.locator('#compose-to')).toHaveValue('bob@demo.test');
  await shot('compose-draft');
  await page.click('#discard-draft button[type=submit]');
  await expect(page).toHaveURL(/\/mail$/);
  expect((imap()['Drafts'] ?? []).some((r) => r.subject === draft)).toBe(false);

  if (js) {
    // With JavaScript, what is typed is saved as a draft without asking.
    const autosaved = `Autosaved ${tag}`;
    await compose(page, `${casella.url}/compose`);
    await page.fill('#compose-subject', autosaved);
    await page.fill('#compose-text', 'Typed, never saved by hand.');
    await expect(page.locator('#draft-state')).toHaveText(/Saved in Drafts|Salvato nelle Bozze/, { timeout: 15_000 });
    expect((imap()['Drafts'] ?? []).some((r) => r.subject === autosaved)).toBe(true);
  }

  // The daily limit on external recipients (250 for alice): the third hundred goes only in
  // part, and the page names who was refused and why.
  const hundred = (n: number) => Array.from({ length: 100 }, (_, i) => `r${n}-${i}@external.test`).join(', ');
  for (const n of [1, 2]) {
    await compose(page, `${casella.url}/compose`);
    await page.fill('#compose-to', hundred(n));
    await page.fill('#compose-subject', `Circular ${n} ${tag}`);
    await page.fill('#compose-text', 'To many.');
    await page.click('#send');
    await expect(page.locator('#mail-notice')).toBeVisible();
  }
  await compose(page, `${casella.url}/compose`);
  await page.fill('#compose-to', hundred(3));
  await page.fill('#compose-subject', `Circular 3 ${tag}`);
  await page.fill('#compose-text', 'Too many.');
  await page.click('#send');
  const refusal = js ? page.locator('#send-result') : page.locator('#mail-notice');
  await expect(refusal).toContainText('452');
  await expect(refusal).toContainText('r3-99@external.test');
  await shot('compose-limit');
});

test('webmail: attachments uploaded, removed, sent and forwarded', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const js = testInfo.project.name === 'hydrated';
  const bob = 'bob@demo.test';
  const password = casella.demo[bob];
  const tag = testInfo.project.name;
  const subject = `Files ${tag}`;
  const notes = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(`Meeting notes ${tag}\n`) };
  const extra = { name: 'extra.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') };
  const attached = page.locator('#compose-attachments .attached-file');

  await signIn(page, testInfo, casella.url, bob, password);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`${casella.url}/compose`);
  await editorReady(page, testInfo);
  await page.fill('#compose-to', bob);
  await page.fill('#compose-subject', subject);
  await page.fill('#compose-text', 'Two files, then one.');

  if (js) {
    // Chosen files are uploaded at once; a dropped one too.
    await page.setInputFiles('#compose-files', [notes]);
    await expect(attached.filter({ hasText: 'notes.txt' })).toBeVisible();
    const dropped = await page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(['a,b\n1,2\n'], 'extra.csv', { type: 'text/csv' }));
      return data;
    });
    await page.dispatchEvent('#compose', 'drop', { dataTransfer: dropped });
    await expect(attached.filter({ hasText: 'extra.csv' })).toBeVisible();
  } else {
    // Without JavaScript "Attach" posts the form with the chosen files and comes back to
    // the draft, with what was typed.
    await page.setInputFiles('#compose-files', [notes, extra]);
    await page.click('#attach');
    await expect(page).toHaveURL(/\/compose\?draft=/);
    await expect(page.locator('#compose-text')).toHaveValue('Two files, then one.');
  }
  await expect(attached).toHaveCount(2);
  await shot('compose-attachments');
  await attached.filter({ hasText: 'extra.csv' }).locator('.remove-file').click();
  await expect(attached).toHaveCount(1);
  await expect(attached).toContainText('notes.txt');
  await expect(page.locator('#compose-subject')).toHaveValue(subject);

  await page.click('#send');
  await expect(page.locator('#mail-notice')).toContainText(/Message sent|Messaggio inviato/);

  // The message arrives with its file, which downloads as it was.
  const row = page.locator('#messages li', { hasText: subject });
  await expect(async () => {
    await page.goto(`${casella.url}/mail`);
    await expect(row.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await hydrated(page, testInfo);
  await row.first().locator('a').click();
  await expect(page.locator('#reader-subject')).toHaveText(subject);
  const link = page.locator('#attachments a.name', { hasText: 'notes.txt' });
  await expect(link).toBeVisible();
  const href = await link.getAttribute('href');
  const download = await page.request.get(`${casella.url}${href}`);
  expect(download.status()).toBe(200);
  expect(await download.text()).toBe(`Meeting notes ${tag}\n`);

  // Forwarded as an attachment: the whole message goes as a .eml file.
  await page.click('#forward-attached');
  await editorReady(page, testInfo);
  await expect(page.locator('#compose-subject')).toHaveValue(`Fwd: ${subject}`);
  await expect(attached).toHaveCount(1);
  await expect(attached).toContainText(`${subject}.eml`);
});
