// SPDX-License-Identifier: AGPL-3.0-only
// The webmail's chat. Without JavaScript the chat button opens a notice. Hydrated, two
// colleagues (two browsers) see each other online, chat both ways with unread badges, typing
// and read marks, find the conversation again after a reload, and a chat app (slixmpp over
// XMPP) talks with the webmail in both directions.
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { hydrated, instance, signIn } from './instance';

const chatClient = resolve(__dirname, '..', '..', 'panel', 'tests', 'it', 'chat_clients.py');

function xmpp(args: string[]): Record<string, unknown> {
  const out = execFileSync('python3', [chatClient, ...args], { timeout: 120_000 }).toString().trim().split('\n');
  return JSON.parse(out[out.length - 1]);
}

async function webmail(page: Page, testInfo: Parameters<typeof hydrated>[1], base: string, login: string, password: string) {
  await signIn(page, testInfo, base, login, password);
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`${base}/mail`);
  await hydrated(page, testInfo);
}

test('chat in the webmail, between colleagues and with a chat app', async ({ browser }, testInfo) => {
  const casella = instance(testInfo);
  const alice = 'alice@demo.test';
  const bob = 'bob@demo.test';
  const a = await (await browser.newContext()).newPage();
  await webmail(a, testInfo, casella.url, alice, casella.demo[alice]);

  if (testInfo.project.name === 'no-js') {
    await a.click('#chat-button');
    await expect(a.locator('#chat-panel .chat-notice')).toContainText('JavaScript');
    await a.screenshot({ path: testInfo.outputPath('chat-no-js.png') });
    return;
  }

  const b = await (await browser.newContext()).newPage();
  await webmail(b, testInfo, casella.url, bob, casella.demo[bob]);

  // Alice's list shows Bruno online; the search ignores what is not a letter or a digit.
  await a.click('#chat-button');
  const bobRow = a.locator('#chat-contacts .chat-contact[data-address="bob@demo.test"]');
  await expect(bobRow).toContainText('Bruno Bianchi');
  await expect(bobRow.locator('.dot')).toHaveClass(/available/);
  await a.fill('#chat-search', '@bru#');
  await expect(bobRow).toBeVisible();
  await a.fill('#chat-search', 'zzz');
  await expect(bobRow).toHaveCount(0);
  await a.fill('#chat-search', '');

  // Alice writes; Bruno sees the badge, the typing and the message; Alice sees it read.
  await bobRow.click();
  const toBob = a.locator('.chat-window[data-with="bob@demo.test"]');
  await expect(toBob).toBeVisible();
  await toBob.locator('.chat-input').fill('Ciao Bruno, ci sei?');
  await toBob.locator('.chat-input').press('Enter');
  await expect(b.locator('#chat-unread')).toHaveText('1');
  await b.click('#chat-button');
  await expect(b).toHaveTitle(/^💬1 · /);
  await expect(b.locator("link[rel='icon']")).toHaveAttribute('href', /^data:image\/svg\+xml,.*circle/);
  const aliceRow = b.locator('#chat-contacts .chat-contact[data-address="alice@demo.test"]');
  await expect(aliceRow.locator('.badge')).toHaveText('1');
  await aliceRow.click();
  const toAlice = b.locator('.chat-window[data-with="alice@demo.test"]');
  await expect(toAlice.locator('.line')).toContainText(['Ciao Bruno, ci sei?']);
  await expect(b.locator('#chat-unread')).toHaveCount(0);
  await expect(b.locator("link[rel='icon']")).toHaveAttribute('href', /^data:image\/svg\+xml,(?!.*circle)/);
  await expect(toBob.locator('.line.own .mark')).toHaveText('read');

  await toAlice.locator('.chat-input').fill('Sì');
  await expect(toBob.locator('.typing')).toBeVisible();
  await toAlice.locator('.chat-input').press('Enter');
  await expect(toBob.locator('.line:not(.own)')).toContainText(['Sì']);
  await a.screenshot({ path: testInfo.outputPath('chat-alice.png') });

  // Bruno goes offline in the webmail: Alice sees him unavailable.
  await b.selectOption('#chat-status', 'offline');
  await expect(bobRow.locator('.dot')).toHaveClass(/offline/);
  await expect(aliceRow.locator('.dot')).toHaveClass(/offline/);
  // Alice steps away meanwhile; back online, Bruno sees her as she is now.
  await a.selectOption('#chat-status', 'away');
  await b.selectOption('#chat-status', 'busy');
  await expect(bobRow.locator('.dot')).toHaveClass(/busy/);
  await expect(aliceRow.locator('.dot')).toHaveClass(/away/);
  await a.selectOption('#chat-status', 'available');

  // After a reload the conversation comes back from the history.
  await a.reload();
  await hydrated(a, testInfo);
  await a.click('#chat-button');
  await a.locator('#chat-contacts .chat-contact[data-address="bob@demo.test"]').click();
  await expect(a.locator('.chat-window[data-with="bob@demo.test"] .line')).toContainText(['Ciao Bruno, ci sei?', 'Sì']);

  // A chat app (XMPP) and the webmail, both ways; the app's history has the webmail's words.
  const xmppPort = String(casella.ports.xmpp);
  const password = casella.demo[bob];
  const sent = xmpp(['send', '127.0.0.1', xmppPort, bob, password, alice, 'Dal telefono']);
  expect(sent.ok).toBe(true);
  await expect(a.locator('.chat-window[data-with="bob@demo.test"] .line:not(.own)')).toContainText(['Dal telefono']);
  const receiving = new Promise<Record<string, unknown>>((done) => {
    const app = spawn('python3', [chatClient, 'receive', '127.0.0.1', xmppPort, bob, password, 'Per la tua app']);
    let out = '';
    app.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    app.on('close', () => {
      const lines = out.trim().split('\n');
      done(JSON.parse(lines[lines.length - 1] || '{}'));
    });
  });
  await a.waitForTimeout(3_000);
  const toBobAgain = a.locator('.chat-window[data-with="bob@demo.test"]');
  await toBobAgain.locator('.chat-input').fill('Per la tua app');
  await toBobAgain.locator('.chat-input').press('Enter');
  expect((await receiving).ok).toBe(true);
  const history = xmpp(['history', '127.0.0.1', xmppPort, bob, password, alice, '10']);
  expect(history.bodies).toEqual(['Ciao Bruno, ci sei?', 'Sì', 'Dal telefono', 'Per la tua app']);

  // The conversation is searched: a part of a word, whatever its case.
  const window = a.locator('.chat-window[data-with="bob@demo.test"]');
  await window.locator('.chat-find-input').fill('TELEF');
  await window.locator('.chat-find-input').press('Enter');
  await expect(window.locator('.chat-found .line')).toHaveText([/Dal telefono/]);
  await a.screenshot({ path: testInfo.outputPath('chat-search.png') });
  await window.locator('.chat-found .back').click();
  await expect(window.locator('.chat-found')).toHaveCount(0);

  await a.setViewportSize({ width: 375, height: 740 });
  await a.screenshot({ path: testInfo.outputPath('chat-phone.png') });
});
