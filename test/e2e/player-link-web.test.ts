// Players driven by an AppServer, in a real browser (Debian's Chromium via playwright-core): two web players named
// Rossi and Bianchi at log-in, the embedded AppServer sending over the recorder's TCP player link. A TRAC plays the
// right track in Rossi's page only, PAUS/PLAY/STOP/EJEC act, a TRAC of a call Rossi may not hear plays nothing,
// the player comes forward and hides when set to, and the URL interface works from a browser's address bar.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAppServer } from '../../src/embedded/index.js';
import { PlayerLink } from '../../src/player/index.js';
import type { PlayerServer } from '../../src/player/index.js';
import { type Fixture, PASSWORD, makeFixture, startServer } from '../player/helpers.js';
import { launchChromium, logIn } from '../helpers/browser.js';
import { capturingLogger, until } from './helpers/service-harness.js';


let fixture: Fixture;
let server: PlayerServer;
let url: string;
let browser: Browser;
let appServer: EmbeddedAppServer;
let link: PlayerLink;
let logs: Record<string, unknown>[];
let rossiCall: string;
let bianchiCall: string;

beforeAll(async () => {
  fixture = await makeFixture();
  rossiCall = (await fixture.file({ callId: 'r-20-1', start: new Date(Date.UTC(2024, 4, 6, 9, 5)), internal: '20', internalName: 'Mario Rossi', external: '030123456', seconds: 20 })).name;
  bianchiCall = (await fixture.file({ callId: 'b-21-1', start: new Date(Date.UTC(2024, 4, 6, 9, 7)), internal: '21', internalName: 'Laura Bianchi', external: '030654321', seconds: 20 })).name;
  ({ server, url } = await startServer(fixture));
  await server.accounts.add({ name: 'rossi', password: PASSWORD, role: 'agent', numbers: ['20'], permissions: [] });
  await server.accounts.add({ name: 'bianchi', password: PASSWORD, role: 'agent', numbers: ['21'], permissions: [] });
  appServer = new EmbeddedAppServer();
  const { address } = await appServer.start();
  const captured = capturingLogger('info');
  logs = captured.records;
  link = new PlayerLink({ recordings: fixture.recordings, server, logger: captured.logger, appServer: { host: '127.0.0.1', port: Number(address.split(':')[1]) }, urlPort: 0 });
  await link.start();
  await until(() => appServer.connections === 1, 10_000, 'the link connected');
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await link?.stop();
  await appServer?.stop();
  await server?.close();
  await fixture?.cleanup();
});

/** A player page logged in as `user`, named `player` at log-in. */
async function openPlayer(user: string, player: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await logIn(page, url, user, PASSWORD, player);
  await page.locator('#live-status.on').waitFor();
  await expect.poll(() => page.locator('#player-name-text').textContent()).toBe(player);
  return { context, page, errors };
}

type PageGlobals = { document: { getElementById(id: string): { currentTime: number; paused: boolean } } };
const audioState = (page: Page): Promise<{ currentTime: number; paused: boolean }> =>
  page.evaluate(() => {
    const audio = (globalThis as unknown as PageGlobals).document.getElementById('audio');
    return { currentTime: audio.currentTime, paused: audio.paused };
  });

describe('players driven over the player link', () => {
  it('Rossi and Bianchi: TRAC, PAUS, PLAY, STOP, EJEC reach the named player only; a forbidden TRAC plays nothing', async () => {
    const rossi = await openPlayer('rossi', 'Rossi');
    const bianchi = await openPlayer('bianchi', 'Bianchi');
    await until(() => link.status().players.Rossi === 1 && link.status().players.Bianchi === 1, 10_000, 'both players connected');

    // When the page heard the command and when its audio started, by the page's clock (this machine's).
    await rossi.page.evaluate(() => {
      type Globals = {
        rcTimes: { shown?: number; playing?: number };
        document: { getElementById(id: string): object & { addEventListener(type: string, listener: () => void, options: object): void } };
        MutationObserver: new (callback: () => void) => { observe(target: object, options: object): void; disconnect(): void };
      };
      const page = globalThis as unknown as Globals;
      page.rcTimes = {};
      page.document.getElementById('audio').addEventListener('playing', () => (page.rcTimes.playing = Date.now()), { once: true });
      // The track shown in the deck: the command handled.
      const observer = new page.MutationObserver(() => {
        page.rcTimes.shown ??= Date.now();
        observer.disconnect();
      });
      observer.observe(page.document.getElementById('np-int'), { childList: true, characterData: true, subtree: true });
    });
    const sent = Date.now();
    appServer.send(`TRAC!Rossi!${rossiCall}.wav`);
    await expect.poll(() => rossi.page.locator('#np-int').textContent()).toBe('20');
    await rossi.page.locator('#rc-badge').waitFor({ state: 'visible' });
    await expect.poll(async () => (await audioState(rossi.page)).currentTime, { timeout: 15_000 }).toBeGreaterThan(0.3);
    const times = await rossi.page.evaluate(() => (globalThis as unknown as { rcTimes: { shown?: number; playing?: number } }).rcTimes);
    const heard = Number(await rossi.page.locator('body').getAttribute('data-remote-at'));
    console.log(`TRAC sent by the AppServer → heard by Rossi's page ${heard - sent} ms, track loaded ${(times.shown ?? 0) - sent} ms, audio playing ${(times.playing ?? 0) - sent} ms`);
    expect(await bianchi.page.locator('#deck-empty').isVisible()).toBe(true);

    appServer.send('PAUS!Rossi');
    await expect.poll(async () => (await audioState(rossi.page)).paused).toBe(true);
    appServer.send('PLAY!Rossi');
    await expect.poll(async () => (await audioState(rossi.page)).paused).toBe(false);
    appServer.send('STOP!Rossi');
    await expect.poll(async () => audioState(rossi.page)).toEqual({ paused: true, currentTime: 0 });
    appServer.send('EJEC!Rossi');
    await rossi.page.locator('#deck-empty').waitFor({ state: 'visible' });
    expect(await rossi.page.locator('#rc-badge').isVisible()).toBe(false);

    // Bianchi's call is not Rossi's to hear.
    appServer.send(`TRAC!Rossi!${bianchiCall}.wav`);
    await until(() => logs.some((r) => String(r.msg).includes('TRAC refused')), 5_000, 'the refusal logged');
    expect(await rossi.page.locator('#deck-empty').isVisible()).toBe(true);
    // Bianchi's player plays it when told.
    appServer.send(`TRAC!Bianchi!${bianchiCall}.wav`);
    await expect.poll(() => bianchi.page.locator('#np-int').textContent()).toBe('21');
    expect(await rossi.page.locator('#deck-empty').isVisible()).toBe(true);

    expect([...rossi.errors, ...bianchi.errors]).toEqual([]);
    await rossi.context.close();
    await bianchi.context.close();
  }, 90_000);

  it('set to come forward: EJEC hides the player, TRAC shows it again; a new name in the settings takes effect at once', async () => {
    const rossi = await openPlayer('rossi', 'Rossi');
    await rossi.page.locator('#player-name').click();
    await rossi.page.locator('#ps-popup').check();
    await rossi.page.locator('#ps-name').fill('Rossi-Desk');
    await rossi.page.locator('#ps-save').click();
    await expect.poll(() => rossi.page.locator('#player-name-text').textContent()).toBe('Rossi-Desk');
    await until(() => link.status().players['Rossi-Desk'] === 1 && link.status().players.Rossi === undefined, 10_000, 'the player under its new name');
    appServer.send(`TRAC!Rossi-Desk!${rossiCall}.wav`);
    await expect.poll(() => rossi.page.locator('#np-int').textContent()).toBe('20');
    appServer.send('EJEC!Rossi-Desk');
    await rossi.page.locator('#player').waitFor({ state: 'hidden' });
    appServer.send(`TRAC!Rossi-Desk!${rossiCall}.wav`);
    await rossi.page.locator('#player').waitFor({ state: 'visible' });
    await expect.poll(async () => (await audioState(rossi.page)).currentTime, { timeout: 15_000 }).toBeGreaterThan(0.3);
    expect(rossi.errors).toEqual([]);
    await rossi.context.close();
  }, 90_000);

  it("the URL interface from a browser's address bar plays on this machine's player", async () => {
    const rossi = await openPlayer('rossi', 'Rossi');
    // The reporting's "play" button: a plain GET in another tab.
    const tab = await rossi.context.newPage();
    const response = await tab.goto(`${link.urlInterface!}/IPLTRAC${rossiCall}.wav`);
    expect(response?.status()).toBe(200);
    expect(await tab.locator('body').textContent()).toContain('ok: 1 player');
    await expect.poll(() => rossi.page.locator('#np-int').textContent()).toBe('20');
    await rossi.page.locator('#rc-badge').waitFor({ state: 'visible' });
    await tab.goto(`${link.urlInterface!}/IPLEJECT`);
    await rossi.page.locator('#deck-empty').waitFor({ state: 'visible' });
    expect(rossi.errors).toEqual([]);
    await rossi.context.close();
  }, 90_000);
});
