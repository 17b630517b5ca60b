// The web player's layout at 1024×768, 1280×720 and 1920×1080 (Chromium), for the people who use it all day: no
// number in the results cut off, nothing in the top bar overlapping, the filter panel and the deck inside the
// window; a supervisor's page (with the service's status panel) is the widest case. Screenshots in test-artifacts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerServer } from '../../src/player/index.js';
import { writeFileDurable } from '../../src/platform/util/index.js';
import type { StatusSnapshot } from '../../src/recorder/service/index.js';
import { type Fixture, PASSWORD, makeFixture, startServer } from '../player/helpers.js';
import { launchChromium, logIn } from '../helpers/browser.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'player-layout');
const SIZES = [
  [1024, 768],
  [1280, 720],
  [1920, 1080],
] as const;
let fixture: Fixture;
let server: PlayerServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  fixture = await makeFixture();
  const workDir = join(fixture.dir, 'work');
  mkdirSync(workDir);
  const status: StatusSnapshot = {
    version: 1,
    at: new Date().toISOString(),
    pid: 1,
    host: 'recorder-1',
    startedAt: new Date().toISOString(),
    lamps: { PBX: 'green', REP: 'red', PCAP: 'green', DISK: 'green', BACKUP: 'green', SOFTWARE: 'green' },
    reasons: { REP: 'HTTP 503' },
    master: { state: 'triggered', since: new Date().toISOString(), history: [] },
    channelsInRecording: 128,
    capturesWaiting: 3,
    recentErrors: [],
    counters: { captured: 0, filed: 0, discarded: 0, quarantined: 0, callEndsWithoutCapture: 0, decidedFromCdrInterface: 0, decidedFromReporting: 0 },
  };
  await writeFileDurable(join(workDir, 'status.json'), JSON.stringify(status));
  // Long numbers and names, a TAN, several formats: the widest rows a call centre has.
  for (let i = 0; i < 12; i++) {
    await fixture.file({
      callId: `layout-${i}`,
      start: new Date(Date.UTC(2026, 10, 20 + (i % 5), 8 + i, 30)),
      internal: i % 2 ? '20' : '12345678',
      internalName: i % 2 ? 'Mario Rossi' : 'Maria-Alessandra Bianchi-Esposito',
      external: i % 3 ? '00390612345678901' : '+4930123456789',
      externalName: 'Müller & Söhne Versicherungsmakler GmbH',
      direction: i % 2 ? 'in' : 'out',
      seconds: i === 11 ? 3725 : 5 + i * 7,
      ...(i % 4 === 0 ? { tan: '246810' } : {}),
      ...(i === 3 ? { format: 'mp3' as const } : {}),
    });
  }
  ({ server, url } = await startServer(fixture, { statusDir: workDir }));
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fixture?.cleanup();
});

/** Runs in the page: what is cut off or overlaps (plain DOM calls; this project's compiler has no DOM types). */
const inspect = (): { truncated: string[]; overlapping: string[]; outside: string[] } => {
  type Rect = { left: number; right: number; top: number; bottom: number; width: number; height: number };
  type El = { id: string; className: string; textContent: string | null; scrollWidth: number; clientWidth: number; hidden: boolean; getBoundingClientRect(): Rect; offsetParent: unknown };
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> }; innerWidth: number; innerHeight: number }).document;
  const { innerWidth } = globalThis as unknown as { innerWidth: number };
  const all = (selector: string): El[] => Array.from(doc.querySelectorAll(selector));
  const visible = (el: El): boolean => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const truncated = all('#results-body td, .np-value, #np-int, #np-ext')
    .filter(visible)
    .filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => `${el.className || el.id}: "${(el.textContent ?? '').trim()}" (${el.scrollWidth} > ${el.clientWidth})`);
  const items = all('.topbar > *, .topbar-right > *, .service-status > *, .views > *').filter(visible);
  const overlapping: string[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!.getBoundingClientRect();
      const b = items[j]!.getBoundingClientRect();
      // Parent and child overlap by nature; only siblings count.
      if ((items[i] as unknown as { contains(o: unknown): boolean }).contains(items[j]) || (items[j] as unknown as { contains(o: unknown): boolean }).contains(items[i])) continue;
      const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (overlapX > 1 && overlapY > 1) overlapping.push(`${items[i]!.id || items[i]!.className} × ${items[j]!.id || items[j]!.className}`);
    }
  }
  // A table wider than its panel hides whole columns behind a scroll bar: counted as cut off.
  for (const el of all('.table-wrap, .results-head, .results-tools, .transport, .deck, .np-parties').filter(visible)) {
    if (el.scrollWidth > el.clientWidth + 1) truncated.push(`${el.className}: ${el.scrollWidth} wide in ${el.clientWidth}`);
  }
  const outside = all('.topbar > *, .topbar-right > *, #filters-panel, #player, .results')
    .filter(visible)
    .filter((el) => el.getBoundingClientRect().right > innerWidth + 1 || el.getBoundingClientRect().left < -1)
    .map((el) => `${el.id || el.className}: ${Math.round(el.getBoundingClientRect().left)}..${Math.round(el.getBoundingClientRect().right)} of ${innerWidth}`);
  return { truncated, overlapping, outside };
};

describe('player layout', () => {
  for (const [width, height] of SIZES) {
    it(`${width}×${height}: no number cut off, nothing overlapping in the top bar, everything inside the window`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      await logIn(page, url, 'sue', PASSWORD);
      await page.locator('#service-status').waitFor({ state: 'visible' });
      await page.locator('#results-body tr').first().waitFor();
      await page.locator('#results-body tr').first().dblclick();
      await page.locator('#deck-loaded').waitFor({ state: 'visible' });
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(ARTIFACTS, `supervisor-${width}x${height}.png`) });
      const found = await page.evaluate(inspect);
      if (process.env.LAYOUT_DEBUG) console.log(width, JSON.stringify(found, null, 1));
      expect(found).toEqual({ truncated: [], overlapping: [], outside: [] });
      await page.close();
    }, 60_000);
  }
});
