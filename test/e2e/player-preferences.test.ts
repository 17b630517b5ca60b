// A user's player settings follow the account (Chromium): volumes, standing filters, view and rows per page set at
// one desk are there after logging in at another (a fresh browser profile), and not for another user; the API
// refuses what is no preference, naming the field.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerServer } from '../../src/player/index.js';
import { Client, type Fixture, PASSWORD, makeFixture, startServer } from '../player/helpers.js';
import { launchChromium, logIn } from '../helpers/browser.js';
import { until } from './helpers/service-harness.js';

let fixture: Fixture;
let server: PlayerServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  fixture = await makeFixture();
  for (let i = 0; i < 4; i++) {
    await fixture.file({ callId: `pref-${i}`, start: new Date(Date.UTC(2026, 10, 20 + i, 9, 30)), internal: i % 2 ? '201' : '202', external: '0301234567', direction: i % 2 ? 'in' : 'out', seconds: 6, ...(i === 3 ? { format: 'mp3' as const } : {}) });
  }
  ({ server, url } = await startServer(fixture));
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fixture?.cleanup();
});

/** A fresh browser profile (another desk): nothing in its local storage. */
async function desk(user: string): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  // A step that hangs fails by itself, naming itself, instead of the whole test timing out.
  page.setDefaultTimeout(20_000);
  await logIn(page, url, user, PASSWORD);
  return { page, close: () => context.close() };
}

const settingsOf = (page: Page) =>
  page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { getElementById(id: string): { value: string; checked: boolean } | null; querySelector(s: string): { value: string; dataset: Record<string, string> } | null } }).document;
    const value = (id: string) => doc.getElementById(id)!.value;
    return {
      volume: [value('v-l'), value('v-r'), value('v-m')],
      internal: value('f-internal'),
      direction: doc.querySelector('input[name="direction"]:checked')!.value,
      format: value('f-format'),
      online: doc.getElementById('f-online')!.checked,
      pageSize: value('page-size'),
      view: doc.querySelector('.view.active')!.dataset.view,
    };
  });

describe('player settings remembered per user', () => {
  it('set at one desk, there at the next log-in at another; another user keeps the defaults', { timeout: 90_000 }, async () => {
    const first = await desk('sue');
    const { page } = first;
    const defaults = await settingsOf(page);
    expect(defaults).toEqual({ volume: ['100', '100', '100'], internal: '', direction: '', format: '', online: true, pageSize: '50', view: 'search' });
    // The volumes are set on the deck, with a recording loaded.
    await page.locator('#results-body tr').first().dblclick();
    await page.locator('#v-l').fill('60');
    await page.locator('#v-r').fill('150');
    await page.locator('#v-m').fill('80');
    await page.locator('#f-online').uncheck();
    await page.locator('#f-internal').fill('20*');
    await page.locator('label:has(input[name="direction"][value="in"])').click();
    await page.locator('#f-format').selectOption('wav');
    await page.locator('#page-size').selectOption('100');
    await page.locator('.view[data-view="mine"]').click();
    const chosen = await settingsOf(page);
    expect(chosen).toEqual({ volume: ['60', '150', '80'], internal: '20*', direction: 'in', format: 'wav', online: false, pageSize: '100', view: 'mine' });
    // Kept with the account a moment after the last change (no save button).
    await until(() => JSON.stringify(server.accounts.preferences('sue')).includes('"view":"mine"'), 10_000, 'the settings saved');
    expect(server.accounts.preferences('sue')).toEqual({
      volume: { l: 60, r: 150, m: 80 },
      filters: { internal: '20*', external: '', direction: 'in', format: 'wav', online: false },
      view: 'mine',
      pageSize: 100,
    });
    await page.locator('#logout').click();
    await first.close();

    const second = await desk('sue');
    // The page asks for the preferences after log-in: on a loaded machine they arrive a moment later.
    await expect.poll(() => settingsOf(second.page), { timeout: 15_000 }).toEqual(chosen);
    // The remembered view is the one shown.
    expect(await second.page.locator('#results-title').textContent()).toBe('My favourites');
    await second.close();

    const other = await desk('rita');
    expect(await settingsOf(other.page)).toEqual(defaults);
    await other.close();
  });

  it('the API keeps only preferences: a volume out of range, a foreign view or an overlong filter is a 400 naming it; an unknown field is not kept', async () => {
    const client = new Client(url);
    expect((await client.login('ann', PASSWORD)).status).toBe(200);
    expect(await client.json('/api/preferences')).toEqual({});
    const put = (body: unknown) => client.fetch('/api/preferences', { method: 'PUT', json: body });
    const refused = async (body: unknown, field: RegExp) => {
      const res = await put(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(field);
    };
    await refused({ volume: { l: 500 } }, /volume\/l|volume\.l/);
    await refused({ view: 'admin' }, /view/);
    await refused({ filters: { internal: 'x'.repeat(65) } }, /internal/);
    expect((await put({ volume: { l: 0, r: 200, m: 100 }, view: 'live' })).status).toBe(204);
    expect(await client.json('/api/preferences')).toEqual({ volume: { l: 0, r: 200, m: 100 }, view: 'live' });
    // A field of another player version is dropped (as every body's unknown fields are), not stored.
    expect((await put({ view: 'search', theme: 'dark' })).status).toBe(204);
    expect(await client.json('/api/preferences')).toEqual({ view: 'search' });
    // Without the CSRF header nothing is kept.
    const bare = await client.fetch('/api/preferences', { method: 'PUT', json: {}, csrf: null });
    expect(bare.status).toBe(403);
  });
});
