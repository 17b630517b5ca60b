// The service's status in the web player (Chromium): a supervisor sees the lamps and the master alarm the running
// service wrote, and RESET / OFF from the page reach the service's work folder as commands; an agent sees none of it.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerServer } from '../../src/player/index.js';
import { ALARM_CONTROL_DIR, readStatus } from '../../src/recorder/service/index.js';
import type { StatusSnapshot } from '../../src/recorder/service/index.js';
import { writeFileDurable } from '../../src/platform/util/index.js';
import { type Fixture, Client, PASSWORD, makeFixture, startServer } from '../player/helpers.js';
import { launchChromium, logIn } from '../helpers/browser.js';

let fixture: Fixture;
let server: PlayerServer;
let url: string;
let browser: Browser;
let workDir: string;

/** What a running service with the PBX link down would have written a moment ago. */
function serviceStatus(): StatusSnapshot {
  return {
    version: 1,
    at: new Date().toISOString(),
    pid: 4242,
    host: 'recorder-1',
    startedAt: '2026-12-04T08:00:00.000Z',
    lamps: { PBX: 'red', REP: 'green', PCAP: 'green', DISK: 'green', BACKUP: 'grey', SOFTWARE: 'green' },
    reasons: { PBX: 'Poll: HTTP 503' },
    master: { state: 'triggered', since: '2026-12-04T09:00:00.000Z', triggeredBy: { at: '2026-12-04T09:00:00.000Z', kind: 'lamp', subject: 'PBX', from: 'green', to: 'red', reason: 'Poll: HTTP 503' }, history: [] },
    channelsInRecording: 7,
    capturesWaiting: 2,
    recentErrors: [],
    counters: { captured: 1, filed: 1, discarded: 0, quarantined: 0, callEndsWithoutCapture: 0, decidedFromCdrInterface: 1, decidedFromReporting: 0 },
  };
}

beforeAll(async () => {
  fixture = await makeFixture();
  workDir = join(fixture.dir, 'work');
  mkdirSync(workDir);
  await writeFileDurable(join(workDir, 'status.json'), JSON.stringify(serviceStatus()));
  ({ server, url } = await startServer(fixture, { statusDir: workDir }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fixture?.cleanup();
});

const login = (page: Page, user: string): Promise<void> => logIn(page, url, user, PASSWORD);

describe('the service status panel', () => {
  it('a supervisor sees lamps and master alarm, and RESET / OFF reach the service', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await login(page, 'sue');
    await page.locator('#service-status').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('.ss-lamp[data-lamp="PBX"]').getAttribute('class')).toBe('ss-lamp red');
    expect(await page.locator('.ss-lamp[data-lamp="PBX"]').getAttribute('title')).toBe('PBX: red — Poll: HTTP 503');
    expect(await page.locator('.ss-lamp[data-lamp="BACKUP"]').getAttribute('class')).toBe('ss-lamp grey');
    expect(await page.locator('#ss-master').getAttribute('class')).toBe('ss-master triggered');
    expect(await page.locator('#ss-channels').textContent()).toBe('7 in recording');
    const commands = (): Array<{ action: string; by: string }> =>
      (existsSync(join(workDir, ALARM_CONTROL_DIR)) ? readdirSync(join(workDir, ALARM_CONTROL_DIR)).filter((name) => !name.startsWith('.')) : [])
        .sort()
        .map((name) => JSON.parse(readFileSync(join(workDir, ALARM_CONTROL_DIR, name), 'utf8')) as { action: string; by: string });
    await page.locator('#ss-reset').click();
    await expect.poll(() => commands().length).toBe(1);
    await page.locator('#ss-off').click();
    await expect.poll(() => commands().length).toBe(2);
    expect(commands().map((c) => [c.action, c.by])).toEqual([
      ['reset', 'player:sue'],
      ['off', 'player:sue'],
    ]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("an agent gets no status (403) and no panel; a stale status shows the service as not running", async () => {
    const page = await browser.newPage();
    await login(page, 'ann');
    await page.waitForTimeout(500);
    expect(await page.locator('#service-status').isHidden()).toBe(true);
    const ann = new Client(url);
    await ann.login('ann');
    expect((await ann.fetch('/api/status')).status).toBe(403);
    expect((await ann.fetch('/api/alarm', { method: 'POST', json: { action: 'reset' } })).status).toBe(403);
    const sue = new Client(url);
    await sue.login('sue');
    expect((await sue.fetch('/api/alarm', { method: 'POST', json: { action: 'explode' } })).status).toBe(400);
    // The service stopped a minute ago.
    await writeFileDurable(join(workDir, 'status.json'), JSON.stringify({ ...serviceStatus(), at: new Date(Date.now() - 60_000).toISOString() }));
    expect((await readStatus(workDir)).kind).toBe('found');
    const reply = (await sue.json('/api/status')) as { running: boolean };
    expect(reply.running).toBe(false);
    const supervisor = await browser.newPage();
    await login(supervisor, 'sue');
    await expect.poll(() => supervisor.locator('#ss-channels').textContent()).toBe('service not running');
    await page.close();
    await supervisor.close();
  }, 60_000);
});
