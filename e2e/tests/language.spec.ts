// SPDX-License-Identifier: AGPL-3.0-only
// Italian for Italian browsers, English otherwise; the switch keeps the choice in a cookie and
// works with JavaScript off and hydrated.
import { expect, test } from '@playwright/test';
import { hydrated, instance, open, signIn } from './instance';

test.describe('an Italian browser', () => {
  test.use({ locale: 'it-IT' });

  test('gets Italian, and can switch to English and back', async ({ page }, testInfo) => {
    const casella = instance(testInfo);
    await open(page, testInfo, `${casella.url}/login`);
    await expect(page.locator('html')).toHaveAttribute('lang', 'it');
    await expect(page.locator('h1')).toHaveText('Accedi');
    await expect(page.locator('label[for=login]')).toHaveText('Indirizzo e-mail o utente');

    await page.click('.lang a[hreflang=en]');
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.locator('h1')).toHaveText('Sign in');
    await open(page, testInfo, `${casella.url}/login`);
    await expect(page.locator('h1')).toHaveText('Sign in');

    await page.click('.lang a[hreflang=it]');
    await expect(page.locator('h1')).toHaveText('Accedi');
    // Messages made on the server speak Italian too.
    await signIn(page, testInfo, casella.url, casella.operatorLogin, 'sbagliata');
    await expect(page.locator('#password-error')).toHaveText('Indirizzo e-mail o password errati.');
    await signIn(page, testInfo, casella.url, casella.operatorLogin, casella.operatorPassword);
    await expect(page.locator('nav.mainnav')).toContainText('Domini');
    await expect(page.locator('h1')).toHaveText('Domini');
    await expect(page.locator('#register-domain button[type=submit]')).toHaveText('Registra dominio');
    await page.fill('#domain', 'non valido');
    await page.click('#register-domain button[type=submit]');
    await expect(page.locator('#domain-error')).toHaveText('Usa solo lettere, cifre, trattini e punti.');
    await hydrated(page, testInfo);
    await page.fill('#domain', 'demo.test');
    await page.click('#register-domain button[type=submit]');
    await expect(page.locator('#domain-error')).toHaveText('Il dominio demo.test è già registrato.');
    await page.screenshot({ path: testInfo.outputPath('operator-it.png'), fullPage: true });
  });
});

test('an English browser gets English', async ({ page }, testInfo) => {
  const casella = instance(testInfo);
  await open(page, testInfo, `${casella.url}/login`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('h1')).toHaveText('Sign in');
});
