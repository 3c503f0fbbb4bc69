// SPDX-License-Identifier: AGPL-3.0-only
// Group aliases: the postmaster makes one (a wrong member is named on its field), changes its
// members and deletes it, with JavaScript off and hydrated. Hydrated, its members find the
// group in the webmail's chat and talk in it: each line says who wrote it, an unread badge
// shows on the group, and the group leaves the list when it is deleted.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { hydrated, instance, open, signIn, signInPostmaster } from './instance';

const chatClient = resolve(__dirname, '..', '..', 'panel', 'tests', 'it', 'chat_clients.py');

function xmpp(args: string[]): Record<string, unknown> {
  const out = execFileSync('python3', [chatClient, ...args], { timeout: 120_000 }).toString().trim().split('\n');
  return JSON.parse(out[out.length - 1]);
}

async function createGroup(page: Page, local: string, name: string, members: string) {
  await page.fill('#local_part', local);
  await page.fill('#name', name);
  await page.fill('#members', members);
  await page.click('#create-group button[type=submit]');
}

test('group aliases: made by the postmaster, a group conversation for their members', async ({ browser }, testInfo) => {
  const casella = instance(testInfo);
  const admin = await (await browser.newContext()).newPage();
  await signInPostmaster(admin, testInfo, casella);
  await open(admin, testInfo, `${casella.url}/domains/demo.test`);
  await admin.click('#groups-link');
  await expect(admin).toHaveURL(/\/domains\/demo\.test\/groups$/);
  await hydrated(admin, testInfo);
  await expect(admin.locator('#no-groups')).toBeVisible();

  // A member that is not a mailbox of the domain is named on its field; nothing is made.
  await createGroup(admin, 'vendite', 'Ufficio vendite', 'alice, nessuno');
  await expect(admin.locator('#members-error')).toContainText('nessuno');
  await expect(admin.locator('#no-groups')).toBeVisible();

  await createGroup(admin, 'vendite', 'Ufficio vendite', 'alice, bob@demo.test');
  const card = admin.locator('#group-list .group[data-group="vendite@demo.test"]');
  await expect(card.locator('.group-name')).toHaveText('Ufficio vendite');
  await expect(card.locator('.members li')).toHaveCount(2);

  // Members: one added, one removed, the postmaster's own address among them for a moment.
  await card.locator('.add-member input[name=member]').fill('postmaster');
  await card.locator('.add-member button[type=submit]').click();
  await expect(card.locator('.members li[data-member="postmaster@demo.test"]')).toBeVisible();
  await expect(card.locator('.add-member input[name=member]')).toHaveValue('');
  await card.locator('.members li[data-member="postmaster@demo.test"] button').click();
  await expect(card.locator('.members li')).toHaveCount(2);
  await admin.screenshot({ path: testInfo.outputPath('groups.png'), fullPage: true });

  if (testInfo.project.name === 'hydrated') {
    // Alice and Bruno find the group in their chat and talk in it.
    const [a, b] = await Promise.all([browser.newContext(), browser.newContext()]).then((cs) =>
      Promise.all(cs.map((c) => c.newPage())),
    );
    for (const [page, login] of [
      [a, 'alice@demo.test'],
      [b, 'bob@demo.test'],
    ] as const) {
      await signIn(page, testInfo, casella.url, login, casella.demo[login]);
      await expect(page).not.toHaveURL(/\/login/);
      await page.goto(`${casella.url}/mail`);
      await hydrated(page, testInfo);
      await page.click('#chat-button');
    }
    const groupOf = (page: Page) => page.locator('#chat-contacts .chat-group[data-address="vendite@demo.test"]');
    await expect(groupOf(a)).toContainText('Ufficio vendite');
    await groupOf(a).click();
    const windowOf = (page: Page) => page.locator('.chat-window[data-with="vendite@demo.test"]');
    await windowOf(a).locator('.chat-input').fill('Riunione alle 15?');
    await windowOf(a).locator('.chat-input').press('Enter');
    await expect(groupOf(b).locator('.badge')).toHaveText('1');
    await groupOf(b).click();
    const line = windowOf(b).locator('.line:not(.own)');
    await expect(line.locator('.body')).toHaveText(['Riunione alle 15?']);
    await expect(line.locator('.from')).toHaveText(['Alice Rossi']);
    await windowOf(b).locator('.chat-input').fill('Va bene');
    await expect(windowOf(a).locator('.typing')).toContainText('Bruno Bianchi');
    await windowOf(b).locator('.chat-input').press('Enter');
    await expect(windowOf(a).locator('.line:not(.own) .body')).toHaveText(['Va bene']);
    await a.screenshot({ path: testInfo.outputPath('group-chat.png') });

    // Bruno's chat app joins the room: it gets what was said in the webmail, and what it says
    // reaches Alice's webmail.
    const said = xmpp([
      'room-say',
      '127.0.0.1',
      String(casella.ports.xmpp),
      'bob@demo.test',
      casella.demo['bob@demo.test'],
      'vendite@conference.demo.test',
      'Dal telefono',
    ]);
    expect(said.history).toEqual([
      ['alice', 'Riunione alle 15?'],
      ['bob', 'Va bene'],
    ]);
    await expect(windowOf(a).locator('.line:not(.own) .body')).toHaveText(['Va bene', 'Dal telefono']);

    // The group's history is there after a reload.
    await a.reload();
    await hydrated(a, testInfo);
    await a.click('#chat-button');
    await groupOf(a).click();
    await expect(windowOf(a).locator('.line .body')).toHaveText(['Riunione alle 15?', 'Va bene', 'Dal telefono']);

    // Deleted, it leaves the members' lists at once.
    await card.locator('details.danger summary').click();
    await card.locator('details.danger button[type=submit]').click();
    await expect(admin.locator('#no-groups')).toBeVisible();
    await expect(groupOf(b)).toHaveCount(0);
  } else {
    await card.locator('details.danger summary').click();
    await card.locator('details.danger button[type=submit]').click();
    await expect(admin.locator('#no-groups')).toBeVisible();
  }
});
