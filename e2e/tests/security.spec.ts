// SPDX-License-Identifier: AGPL-3.0-only
// What a browser sees of Casella's web defences: a link cannot put words on the sign-in page,
// a real error still shows, and pages run under a Content-Security-Policy with a nonce that
// the hydrated client lives with (no violation reported).
import { expect, test } from '@playwright/test';
import { instance, open } from './instance';

test('forged errors are dropped, real ones shown, pages keep to their CSP', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });

  const forged = { Invalid: { field: 'password', message: { en: 'Account blocked, call +39 000', it: 'Bloccato' } } };
  const query = new URLSearchParams({ __err: JSON.stringify(forged), __path: '/api/auth/login' });
  const response = await page.goto(`${casella.url}/login?${query}`);
  expect(new URL(page.url()).search).toBe('');
  await expect(page.getByText('Account blocked')).toHaveCount(0);
  const csp = (await response?.request().redirectedFrom()?.response())?.headers()['content-security-policy'];
  expect(csp ?? '').toContain("frame-ancestors 'none'");

  await open(page, testInfo, `${casella.url}/login`);
  await page.fill('#login', 'alice@demo.test');
  await page.fill('#password', 'not-her-password');
  await page.click('#login-form button[type=submit]');
  await expect(page.locator('#password-error')).toContainText('Wrong e-mail address or password');
  const pageCsp = (await page.request.get(`${casella.url}/login`)).headers()['content-security-policy'];
  expect(pageCsp).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  expect(violations).toEqual([]);
});
