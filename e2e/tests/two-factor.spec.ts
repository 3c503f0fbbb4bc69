// SPDX-License-Identifier: AGPL-3.0-only
// Two-factor sign-in through the UI, with JavaScript off and hydrated: a mailbox user turns
// TOTP on (QR code and typed secret, confirmed by a code computed here as an authenticator
// app would), gets ten recovery codes once, creates an app password that a real IMAP client
// then uses, signs in with a code and with a recovery code, and turns 2FA off. Then the
// operator requires a second factor of staff: its next sign-in reaches only enrolment.
import { createHmac } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { hydrated, imapLogin, instance, open, signIn } from './instance';

/** RFC 4648 base32, as authenticator apps read the typed secret. */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code of a 30-second step (SHA-1, 6 digits). */
function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 15;
  const n = ((mac[at] & 0x7f) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

async function signOut(page: Page): Promise<void> {
  await page.click('form.logout button');
  await expect(page).toHaveURL(/\/login$/);
}

/** Enrols the signed-in identity from its security page; returns the secret, the step its
 * confirming code used, and the recovery codes shown. */
async function enrol(page: Page, testInfo: import('@playwright/test').TestInfo, base: string) {
  await open(page, testInfo, `${base}/account/security`);
  await expect(page.locator('#two-factor-state')).toContainText(/NOT ACTIVE|NON ATTIVO/);
  await page.click('#begin-form button[type=submit]');
  const qr = page.locator('#totp-qr');
  await expect(qr).toBeVisible();
  expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
  const secret = (await page.locator('#totp-secret').textContent()) ?? '';
  expect(secret.replace(/\s/g, '')).toMatch(/^[A-Z2-7]{32}$/);
  await hydrated(page, testInfo);
  const step = stepNow();
  await page.fill('#confirm-code', totp(secret, step));
  await page.click('#confirm-form button[type=submit]');
  await expect(page.locator('#recovery-codes li')).toHaveCount(10);
  const codes = (await page.locator('#recovery-codes li').allTextContents()).map((c) => c.trim());
  return { secret, step, codes };
}

test('two-factor sign-in, recovery codes and app passwords', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const bob = 'bob@demo.test';
  const password = casella.demo[bob];

  await signIn(page, testInfo, casella.url, bob, password);
  await expect(page).toHaveURL(/\/mail$/);
  const { secret, step, codes } = await enrol(page, testInfo, casella.url);
  await shot('recovery-codes');
  await open(page, testInfo, `${casella.url}/account/security`);
  await expect(page.locator('#two-factor-state')).toContainText(/ACTIVE|ATTIVO/);
  await expect(page.locator('#recovery-codes')).toHaveCount(0);
  await expect(page.locator('#recovery-left')).toHaveText('10');

  // An app password for a mail client, shown once; a real IMAP client signs in with it.
  await open(page, testInfo, `${casella.url}/account`);
  await expect(page.locator('#app-passwords')).toContainText(/app password|password dedicata/i);
  await page.fill('#app-password-name', 'iPhone');
  await page.click('#create-app-password button[type=submit]');
  const appPassword = ((await page.locator('#new-app-password .credential-password').textContent()) ?? '').trim();
  expect(appPassword).toMatch(/^([0-9a-z]{4}-){6}[0-9a-z]{4}$/);
  await shot('app-password');
  expect(imapLogin(casella.ports.imaps, bob, appPassword)).toContain('ok');
  await open(page, testInfo, `${casella.url}/account`);
  await expect(page.locator('#app-password-list')).toContainText('iPhone');
  await expect(page.locator('#new-app-password')).toHaveCount(0);

  // The sign-in asks for the code after the password; a wrong one is named on its field.
  await signOut(page);
  await signIn(page, testInfo, casella.url, bob, password);
  await expect(page).toHaveURL(/\/login\/code$/);
  await hydrated(page, testInfo);
  await page.fill('#code', totp(secret, step) === '000000' ? '111111' : '000000');
  await page.click('#code-form button[type=submit]');
  await expect(page.locator('#code-error')).toContainText(/not right|non è corretto/);
  await shot('code-step');
  await hydrated(page, testInfo);
  await page.fill('#code', totp(secret, Math.max(step + 1, stepNow())));
  await page.click('#code-form button[type=submit]');
  await expect(page).toHaveURL(/\/mail$/);

  // A recovery code instead of the phone.
  await signOut(page);
  await signIn(page, testInfo, casella.url, bob, password);
  await expect(page).toHaveURL(/\/login\/code$/);
  await hydrated(page, testInfo);
  await page.fill('#code', codes[0]);
  await page.click('#code-form button[type=submit]');
  await expect(page).toHaveURL(/\/mail$/);

  // Off again, with another recovery code.
  await open(page, testInfo, `${casella.url}/account/security`);
  await expect(page.locator('#recovery-left')).toHaveText('9');
  await page.fill('#disable-code', codes[1]);
  await page.click('#disable-form button[type=submit]');
  await expect(page.locator('#two-factor-state')).toContainText(/NOT ACTIVE|NON ATTIVO/);
  await signOut(page);
  await signIn(page, testInfo, casella.url, bob, password);
  await expect(page).toHaveURL(/\/mail$/);
});

test('staff required to use a second factor reach only enrolment until done', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  await signIn(page, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(page).toHaveURL(/\/operator\/domains$/);
  await open(page, testInfo, `${casella.url}/account/security`);
  await page.click('#toggle-staff-two-factor');
  await expect(page.locator('#staff-two-factor-state')).toContainText(/ACTIVE|ATTIVO/);
  await signOut(page);

  await signIn(page, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.locator('#two-factor-required')).toBeVisible();
  await expect(page.locator('.mainnav a')).toHaveCount(0);
  await shot('enrolment-required');
  await open(page, testInfo, `${casella.url}/operator/domains`);
  await expect(page).toHaveURL(/\/account\/security$/);

  await enrol(page, testInfo, casella.url);
  await page.click('#continue');
  await expect(page).toHaveURL(/\/operator\/domains$/);
  await expect(page.locator('#domain-list')).toContainText('demo.test');
});
