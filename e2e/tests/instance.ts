// SPDX-License-Identifier: AGPL-3.0-only
// The Casella instance of the running project, and helpers shared by specs.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, type Browser, type Page, type TestInfo } from '@playwright/test';

export interface Instance {
  url: string;
  ports: { imaps: number; pop3s: number; submission: number; submissions: number; xmpp: number };
  operatorLogin: string;
  operatorPassword: string;
  /** Logins and passwords printed for the demo data. */
  demo: Record<string, string>;
}

export function runDir(): string {
  return resolve(__dirname, '..', '.run');
}

export function casellaBin(): string {
  if (process.env.E2E_CASELLA_BIN) return process.env.E2E_CASELLA_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'casella', 'target');
  return join(target, 'debug', 'casella');
}

export function instance(testInfo: TestInfo): Instance {
  return JSON.parse(readFileSync(join(runDir(), `${testInfo.project.name}.json`), 'utf8'));
}

/** Opens a page; in the hydrated project waits until the page's islands are alive (a page
 *  without islands, such as the sign-in or an operator's page, loads no browser code: there is
 *  nothing to wait for). */
export async function open(page: Page, testInfo: TestInfo, url: string): Promise<void> {
  await page.goto(url);
  await hydrated(page, testInfo);
}

export async function hydrated(page: Page, testInfo: TestInfo): Promise<void> {
  if (testInfo.project.name === 'hydrated') {
    await expect(page.locator('body[data-hydrated="true"], body:not(:has(script[type="module"]))')).toHaveCount(1, { timeout: 20_000 });
  }
}

export async function signIn(page: Page, testInfo: TestInfo, base: string, login: string, password: string) {
  await open(page, testInfo, `${base}/login`);
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
}

/** A real IMAP client (Python's imaplib) logging in over TLS. */
/** The postmaster's password once its first sign-in has changed the one given with the domain. */
export const POSTMASTER_SECRET = 'Postmaster-Secret-9';

/** Signs the demo postmaster in, changing the password given with the domain on its first
 *  sign-in (whichever spec comes first), and waits for its domain pages. */
export async function signInPostmaster(page: Page, testInfo: TestInfo, casella: Instance) {
  const postmaster = 'postmaster@demo.test';
  await signIn(page, testInfo, casella.url, postmaster, casella.demo[postmaster]);
  await Promise.race([
    page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.locator('#password-error').waitFor(),
  ]);
  if (await page.locator('#password-error').isVisible()) {
    await signIn(page, testInfo, casella.url, postmaster, POSTMASTER_SECRET);
  } else if (/\/password$/.test(page.url())) {
    await page.fill('#current', casella.demo[postmaster]);
    await page.fill('#new', POSTMASTER_SECRET);
    await page.fill('#repeat', POSTMASTER_SECRET);
    await page.click('#change-password button[type=submit]');
  }
  await expect(page).toHaveURL(/\/domains\//);
}

export function imapLogin(port: number, user: string, password: string): string {
  const script = resolve(__dirname, '..', '..', 'panel', 'tests', 'it', 'mail_clients.py');
  return execFileSync('python3', [script, 'imap-login', '127.0.0.1', String(port), 'tls', user, password]).toString();
}

/** Runs the real mail client script (Python's imaplib/smtplib); returns its output. */
export function mailClient(args: string[]): string {
  const script = resolve(__dirname, '..', '..', 'panel', 'tests', 'it', 'mail_clients.py');
  const [cmd, ...rest] = args;
  return execFileSync('python3', [script, cmd, '127.0.0.1', ...rest]).toString();
}

/** The password in the credentials e-mail for `login`, read over IMAP from `inbox`. */
export function emailedPassword(casella: Instance, inbox: string, login: string): string {
  const body = mailClient(['imap-body', String(casella.ports.imaps), 'tls', inbox, casella.demo[inbox], login]);
  const line = body.split('\n').find((l) => l.trim().startsWith('Password:'));
  if (!line) throw new Error(`no password in the e-mail: ${body}`);
  return line.split('Password:')[1].trim();
}

/** The operator creates a manager (its credentials e-mailed to `email`) and gives it `domain`,
 *  through the operator's pages; the operator's page is closed after. */
export async function managerFor(
  browser: Browser,
  testInfo: TestInfo,
  casella: Instance,
  login: string,
  name: string,
  email: string,
  domain: string,
): Promise<void> {
  const operator = await browser.newPage();
  await signIn(operator, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
  await expect(operator).toHaveURL(/\/operator\/domains$/);
  await open(operator, testInfo, `${casella.url}/operator/managers`);
  await operator.fill('#login', login);
  await operator.fill('#display_name', name);
  await operator.fill('#email', email);
  await operator.click('#create-manager button[type=submit]');
  await expect(operator.locator('#manager-list')).toContainText(login);
  await open(operator, testInfo, `${casella.url}/operator/domains`);
  const row = operator.locator(`#domain-list tr[data-domain="${domain}"]`);
  await row.locator('select[name=manager]').selectOption(login);
  await row.locator('button[type=submit]').click();
  await expect(operator.locator(`#domain-list tr[data-domain="${domain}"] select[name=manager]`)).toHaveValue(login);
  await operator.close();
}
