// The web player in a real browser (Debian's Chromium via playwright-core) against a real server and store:
// log in, see a recording arrive live, filter, play, seek, note, TAN, export, remote control; an agent's view.
// Screenshots land in test-artifacts/player/.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptBytes, hasContainerMagic } from '../../src/platform/crypto/index.js';
import type { PlayerServer } from '../../src/player/index.js';
import { convertStore } from '../../src/recorder/convert/index.js';
import { type Fixture, PASSWORD, makeFixture, startServer } from '../player/helpers.js';
import { launchChromium, logIn } from '../helpers/browser.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'player');

let fixture: Fixture;
let server: PlayerServer;
let url: string;
let browser: Browser;

const utc = (d: number, h: number, m = 0): Date => new Date(Date.UTC(2024, 4, d, h, m));

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  fixture = await makeFixture({ encrypted: true });
  await fixture.file({ callId: 'a-201-1', start: utc(6, 9, 5), internal: '201', internalName: 'Anna Meyer', external: '030123456', externalName: 'Müller GmbH', seconds: 8 });
  await fixture.file({ callId: 'a-201-2', start: utc(6, 10, 40), internal: '201', internalName: 'Anna Meyer', external: '0891234', direction: 'out', tan: '246810', seconds: 6 });
  await fixture.file({ callId: 'b-202-1', start: utc(6, 11, 12), internal: '202', internalName: 'Ben Schulz', external: '040998877', seconds: 7 });
  await fixture.file({ callId: 'c-310-1', start: utc(7, 8, 30), internal: '310', internalName: 'Service desk', external: '+4930777', direction: 'out', seconds: 5, format: 'mp3' });
  for (let i = 0; i < 8; i++) {
    await fixture.file({ callId: `bulk-${i}`, start: utc(2 + (i % 3), 8 + i), internal: i % 2 ? '202' : '311', internalName: i % 2 ? 'Ben Schulz' : 'Carla Ruiz', external: `0301555${i}0`, direction: i % 3 ? 'in' : 'out', seconds: 3 });
  }
  ({ server, url } = await startServer(fixture));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fixture?.cleanup();
});

async function login(page: Page, user: string): Promise<void> {
  await logIn(page, url, user, PASSWORD);
  await page.locator('#live-status.on').waitFor();
}

const rows = (page: Page) => page.locator('#results-body tr');
const rowFor = (page: Page, callId: string) => page.locator(`#results-body tr[data-name*="_${callId}"]`);
// Runs in the page (no DOM types in this project's compiler settings, hence the narrow cast).
type PageGlobals = { document: { getElementById(id: string): { currentTime: number; paused: boolean } } };
const audioState = (page: Page): Promise<{ currentTime: number; paused: boolean }> =>
  page.evaluate(() => {
    const audio = (globalThis as unknown as PageGlobals).document.getElementById('audio');
    return { currentTime: audio.currentTime, paused: audio.paused };
  });
const audioTime = async (page: Page): Promise<number> => (await audioState(page)).currentTime;

describe('web player', () => {
  it('supervisor: login, live arrival, filters, play, seek, note, TAN, export, remote control', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // 401s are expected: the session probe before login and the wrong password.
    page.on('console', (message) => message.type() === 'error' && !message.text().includes('status of 401') && errors.push(message.text()));

    await page.goto(url);
    await page.locator('#login-form').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '01-login.png') });
    await page.locator('#login-user').fill('sue');
    await page.locator('#login-password').fill('wrong password');
    await page.locator('#login-submit').click();
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('Wrong user name or password');
    await login(page, 'sue');
    await expect.poll(() => rows(page).count()).toBe(12);

    // A recording filed while the page is open appears at the top, live.
    const live = await fixture.file({ callId: 'live-201', start: utc(8, 15, 30), internal: '201', internalName: 'Anna Meyer', external: '0301777888', externalName: 'New caller', seconds: 10 }, { quietly: true });
    expect(await server.announce(live.name)).toBe(1);
    await rowFor(page, 'live-201').waitFor();
    expect(await rows(page).first().getAttribute('data-name')).toBe(live.name);
    await page.screenshot({ path: join(ARTIFACTS, '02-live-arrival.png') });

    // Internal number with a wildcard, then TAN.
    await page.locator('#f-internal').fill('20?');
    await expect.poll(() => rows(page).count()).toBe(8); // 201 ×3, 202 ×5
    await page.locator('#f-internal').fill('');
    await page.locator('#f-tan').fill('246810');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-name')).toContain('a-201-2');
    await page.locator('#f-reset').click();
    await expect.poll(() => rows(page).count()).toBe(13);

    // Play the live recording: the audio element advances.
    await rowFor(page, 'live-201').dblclick();
    await expect.poll(() => audioTime(page), { timeout: 15_000 }).toBeGreaterThan(0.5);
    await expect.poll(() => page.locator('#np-int').textContent()).toBe('201');
    await expect.poll(() => page.locator('#details .kv').count()).toBeGreaterThan(0);
    await page.waitForTimeout(600); // waveform and meters drawn
    await page.screenshot({ path: join(ARTIFACTS, '03-playing.png') });

    // Seek by clicking the waveform at 70 %, and with the keyboard.
    const box = (await page.locator('#waveform').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.7, box.y + box.height / 2);
    await expect.poll(() => audioTime(page)).toBeGreaterThan(6.5);
    await page.keyboard.press('Space'); // pause
    await expect.poll(async () => (await audioState(page)).paused).toBe(true);
    const before = await audioTime(page);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => audioTime(page)).toBeLessThan(before - 4);

    // A note.
    await page.locator('.tab[data-tab="notes"]').click();
    await page.locator('#notes').fill('Caller wants a quote by Friday.');
    await page.locator('#notes-save').click();
    await expect.poll(() => page.locator('#notes-status').textContent()).toBe('Saved');
    expect(readFileSync(join(fixture.recordings.root, '2024_05', `${live.name}.txt`), 'utf8')).toBe('Caller wants a quote by Friday.');
    await page.screenshot({ path: join(ARTIFACTS, '04-notes-tan.png') });

    // A TAN: the files are renamed, the list and the player follow.
    await page.locator('#tan-input').fill('135790');
    await page.locator('#tan-save').click();
    await rowFor(page, 'live-201_T135790').waitFor();
    expect(readdirSync(join(fixture.recordings.root, '2024_05')).filter((f) => f.includes('live-201')).sort()).toEqual([`${live.name}_T135790.txt`, `${live.name}_T135790.wav`, `${live.name}_T135790.xml`]);
    await expect.poll(() => page.locator('#notes').isEditable()).toBe(false); // a TAN locks the notes, as in the reference
    await page.locator('#f-tan').fill('135790');
    await expect.poll(() => rows(page).count()).toBe(1);

    // Export: the decrypted original.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#a-export').click()]);
    const saved = join(fixture.dir, 'exported.wav');
    await download.saveAs(saved);
    const stored = await fixture.recordings.files(`${live.name}_T135790`);
    expect(readFileSync(saved).equals(Buffer.from(decryptBytes(readFileSync(stored.audioPath), fixture.keyring!)))).toBe(true);
    expect(download.suggestedFilename()).toBe(`${live.name}_T135790.wav`);

    // Favourite, details tab.
    await page.locator('#a-fav-global').click();
    await expect.poll(() => page.locator('#a-fav-global').getAttribute('aria-pressed')).toBe('true');
    await page.locator('.tab[data-tab="details"]').click();
    await page.locator('#f-reset').click();
    await expect.poll(() => rows(page).count()).toBe(13);
    await page.screenshot({ path: join(ARTIFACTS, '05-details-favourite.png') });

    // Remote control: TRAC loads and plays another track, marked RC; EJEC unloads.
    const target = (await fixture.recordings.files((await fixture.recordings.search({ callId: 'b-202-1' })).rows[0]!.name)).name;
    expect(server.remoteControl({ verb: 'TRAC', player: 'sue', track: `${target}.wav` })).toEqual({ delivered: 1, refused: 0 });
    await expect.poll(() => page.locator('#np-int').textContent()).toBe('202');
    await page.locator('#rc-badge').waitFor({ state: 'visible' });
    await expect.poll(() => audioTime(page), { timeout: 15_000 }).toBeGreaterThan(0.3);
    server.remoteControl({ verb: 'EJEC', player: 'sue' });
    await page.locator('#deck-empty').waitFor({ state: 'visible' });

    // A playlist of three selected rows.
    await rows(page).nth(0).click();
    await rows(page).nth(2).click({ modifiers: ['Shift'] });
    await page.locator('#play-selected').click();
    await expect.poll(() => page.locator('#pl-counter').textContent()).toBe('Track 1 / 3');
    await page.keyboard.press('n');
    await expect.poll(() => page.locator('#pl-counter').textContent()).toBe('Track 2 / 3');
    await page.locator('.tab[data-tab="playlist"]').click();
    await page.screenshot({ path: join(ARTIFACTS, '06-playlist.png') });

    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it("an agent sees only its own calls and cannot open another agent's", async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await login(page, 'ann');
    await expect.poll(() => rows(page).count()).toBe(3);
    const names = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name') ?? ''));
    expect(names.every((n) => n.includes('_201_'))).toBe(true);
    await page.locator('#f-internal').fill('202');
    await expect.poll(() => rows(page).count()).toBe(0);
    await expect.poll(() => page.locator('#results-empty').isVisible()).toBe(true);
    const other = (await fixture.recordings.search({ callId: 'b-202-1' })).rows[0]!.name;
    const status = await page.evaluate(async (name) => (await fetch(`/api/recordings/${encodeURIComponent(name)}/audio`)).status, other);
    expect(status).toBe(404);
    await page.locator('#f-internal').fill('');
    await expect.poll(() => rows(page).count()).toBe(3);
    await page.screenshot({ path: join(ARTIFACTS, '07-agent-view.png') });
    expect(existsSync(join(ARTIFACTS, '07-agent-view.png'))).toBe(true);
    await context.close();
  }, 60_000);

  it('an Opus recording (a mono stream a party) plays and seeks in the browser, its waveform drawn', async () => {
    const page = await browser.newPage();
    try {
      await login(page, 'sue');
      await fixture.file({ callId: 'o-202-7', start: utc(8, 9, 40), internal: '202', internalName: 'Ben Schulz', external: '0301777', seconds: 12, format: 'opus' });
      await rowFor(page, 'o-202-7').waitFor();
      expect(await rowFor(page, 'o-202-7').locator('.fmt').textContent()).toBe('opus');
      await rowFor(page, 'o-202-7').dblclick();
      await expect.poll(() => audioTime(page), { timeout: 15_000 }).toBeGreaterThan(0.5);
      // The browser read the length from the last page's granule position: 12 s, not a frame more.
      const duration = await page.evaluate(() => (globalThis as unknown as { document: { getElementById(id: string): { duration: number } } }).document.getElementById('audio').duration);
      expect(Math.abs(duration - 12)).toBeLessThan(0.05);
      const box = (await page.locator('#waveform').boundingBox())!;
      await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
      await expect.poll(() => audioTime(page)).toBeGreaterThan(8.5);
      await page.screenshot({ path: join(ARTIFACTS, '08-opus-playing.png') });
      await page.keyboard.press('Space');
    } finally {
      await page.close();
    }
  });

  it('a kept capture (keep-PCAP mode) plays and seeks, and plays again after recorder convert --store replaced it', async () => {
    const page = await browser.newPage();
    try {
      await login(page, 'sue');
      // Filed now (the other tests' counts stay as they were): it arrives live, kept as its capture.
      await fixture.file({ callId: 'p-202-9', start: utc(8, 7, 15), internal: '202', internalName: 'Ben Schulz', external: '0301999', seconds: 12, format: 'pcap' });
      await rowFor(page, 'p-202-9').waitFor();
      expect(await rowFor(page, 'p-202-9').locator('.fmt').textContent()).toBe('pcap');
      await rowFor(page, 'p-202-9').dblclick();
      await expect.poll(() => audioTime(page), { timeout: 15_000 }).toBeGreaterThan(0.5);
      const box = (await page.locator('#waveform').boundingBox())!;
      await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
      await expect.poll(() => audioTime(page)).toBeGreaterThan(8.5);
      await page.screenshot({ path: join(ARTIFACTS, '07-pcap-playing.png') });
      await page.keyboard.press('Space');
      // Rendered once for playing, and sealed like the store: no plaintext audio on disk.
      const renderings = readdirSync(join(fixture.dir, 'playback')).filter((name) => name.endsWith('.wav'));
      expect(renderings).toHaveLength(1);
      expect(hasContainerMagic(readFileSync(join(fixture.dir, 'playback', renderings[0]!)).subarray(0, 16))).toBe(true);

      // The converter replaces the capture in place; the list follows and the recording plays as WAV.
      const summary = await convertStore({ recordings: fixture.recordings, format: 'wav', mix: 'stereo', encoding: 'pcm16', kbps: 32, workDir: join(fixture.dir, 'convert-work'), ...(fixture.keyring ? { encryption: { keyFiles: [], keyring: fixture.keyring } } : {}) });
      expect(summary).toMatchObject({ found: 1, converted: 1, failed: 0 });
      await page.reload();
      await page.locator('#app').waitFor({ state: 'visible' });
      await expect.poll(() => rowFor(page, 'p-202-9').locator('.fmt').textContent()).toBe('wav');
      await rowFor(page, 'p-202-9').dblclick();
      await expect.poll(() => audioTime(page), { timeout: 15_000 }).toBeGreaterThan(0.5);
      await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
      await expect.poll(() => audioTime(page)).toBeGreaterThan(8.5);
    } finally {
      await page.close();
    }
  });
});
