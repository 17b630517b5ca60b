// The demo behind `npm start` (`recorder demo`): the embedded PBX places calls, the service files them, the player
// shows them to the demo's accounts. Run short and fast in std and tan mode.
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/demo/index.js';
import type { DemoMode } from '../../src/demo/index.js';
import { Client } from '../player/helpers.js';
import { launchChromium, logIn } from '../helpers/browser.js';
import { expectedCaptures, filesUnder, until } from '../e2e/helpers/service-harness.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { defaultDirectory } from '../../src/embedded/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function runDemo(mode: DemoMode): Promise<{ names: string[]; searched: number; tanRows: number; integrity: string[]; starts: number[] }> {
  const directory = await mkdtemp(join(tmpdir(), `demo-${mode}-`));
  dirs.push(directory);
  const filed: string[] = [];
  const demo = await startDemo({ directory, calls: 12, seed: 5, speed: 40, gapSeconds: 4, port: 0, mode, onFiled: (event) => filed.push(event.recording.name) });
  try {
    await demo.calls;
    // Every call the rules file is filed (a call without a CDR, e.g. of the user without reporting licence, waits
    // out the reporting's trials before quarantine: not waited for here).
    const toFile = expectedCaptures(demo.pbx.calls, defaultDirectory()).filter((e) => e.agent !== null);
    await until(() => filed.length >= toFile.length, 90_000, `the demo filing ${toFile.length} calls`).catch((error: unknown) => {
      throw new Error(`${String(error)}: drive ${readdirSync(demo.endpoints.recDir).join(', ')}; status ${JSON.stringify(demo.service.status()).slice(0, 1500)}`);
    });
    expect([...filed].sort()).toEqual(filed.filter((name, i) => filed.indexOf(name) === i).sort());
    expect(filed.length).toBeGreaterThan(0);
    // The player answers the demo's accounts as printed.
    const supervisor = demo.accounts.find((a) => a.name === 'supervisor')!;
    const client = new Client(demo.playerUrl);
    expect((await client.login(supervisor.name, supervisor.password)).status).toBe(200);
    const { rows } = await client.json<{ rows: Array<{ name: string; tan?: string; integrity: string; start: string }> }>('/api/recordings?limit=100');
    // The demo's AppServer heard a LAST for each filed recording (its page's play buttons send TRAC with it).
    await until(() => filed.every((name) => demo.appServer.messages.some((m) => m.line.startsWith('!LAST!') && m.line.includes(`!${name}.`))), 10_000, 'a LAST per recording');
    return { names: filed, searched: rows.length, tanRows: rows.filter((row) => row.tan !== undefined).length, integrity: [...new Set(rows.map((row) => row.integrity))], starts: rows.map((row) => Date.parse(row.start)) };
  } finally {
    await demo.stop();
  }
}

describe('recorder demo', () => {
  it('std: files the calls encrypted and signed, and the supervisor sees them all in the player, verified', { timeout: 150_000 }, async () => {
    const began = Date.now();
    const { names, searched, integrity, starts } = await runDemo('std');
    expect(searched).toBe(names.length);
    expect(integrity).toEqual(['intact']);
    // Run 40 times faster than the clock, the calls are dated in the past leading up to now, never in the future.
    expect(Math.max(...starts)).toBeLessThanOrEqual(Date.now());
    expect(Math.max(...starts)).toBeGreaterThan(began - 120_000);
  });

  it('tan: agents enter TANs in about half the calls, and they are in the names and the player', { timeout: 150_000 }, async () => {
    const { names, searched, tanRows } = await runDemo('tan');
    expect(searched).toBe(names.length);
    expect(names.filter((name) => /_T[0-9]{6}$/.test(name)).length).toBe(tanRows);
    expect(tanRows).toBeGreaterThan(0);
  });

  it("the AppServer's page: a call's LAST appears, its play button plays it in the supervisor's browser player", { timeout: 150_000 }, async () => {
    const directory = await mkdtemp(join(tmpdir(), 'demo-appserver-'));
    dirs.push(directory);
    const filed: string[] = [];
    const demo = await startDemo({ directory, calls: 4, seed: 7, speed: 40, gapSeconds: 3, port: 0, onFiled: (event) => filed.push(event.recording.name) });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      const player = await context.newPage();
      const supervisor = demo.accounts.find((a) => a.name === 'supervisor')!;
      await logIn(player, demo.playerUrl, supervisor.name, supervisor.password);
      await player.locator('#live-status.on').waitFor();
      await until(() => filed.length > 0, 90_000, 'a first recording');
      const page = await context.newPage();
      await page.goto(demo.appServerUrl);
      await page.locator('#status', { hasText: 'recorder connected' }).waitFor();
      const play = page.locator('#calls button', { hasText: 'play' }).first();
      await play.waitFor();
      await play.click();
      await player.locator('#rc-badge').waitFor({ state: 'visible' });
      await expect.poll(() => player.locator('#deck-loaded').isVisible()).toBe(true);
    } finally {
      await browser.close();
      await demo.stop();
    }
  });

  it('--tenants 2: two PBXs, two stores, two players, each tenant seeing its own calls only', { timeout: 150_000 }, async () => {
    const directory = await mkdtemp(join(tmpdir(), 'demo-tenants-'));
    dirs.push(directory);
    const run = await runInProcess(['demo', '--tenants', '2', '--calls', '8', '--speed', '40', '--seed', '11', '--exit-after', '6', '--dir', directory]);
    expect(run.code, run.stderr).toBe(0);
    const players = [...run.stdout.matchAll(/^ {2}(tenant-\d): (http:\/\/127\.0\.0\.1:\d+\/?) /gm)].map((m) => [m[1], m[2]]);
    expect(players.map(([tenant]) => tenant)).toEqual(['tenant-1', 'tenant-2']);
    expect(new Set(players.map(([, url]) => url)).size).toBe(2);
    const names = (tenant: string) => filesUnder(join(directory, tenant, 'recordings')).filter((f) => /\/\d{4}_\d{2}\/[^/]+\.wav$/.test(f)).map((f) => f.split('/').pop()!);
    const one = names('tenant-1');
    const two = names('tenant-2');
    expect(one.length + two.length).toBeGreaterThanOrEqual(6);
    // Two PBXs with calls of their own: no call is in both stores.
    const callIds = (list: string[]) => new Set(list.map((name) => name.replace(/\.wav$/, '').split('_').pop()));
    for (const id of callIds(one)) expect(callIds(two).has(id)).toBe(false);
    expect(run.stdout).toMatch(/tenant-1: filed /);
    expect(run.stdout).toMatch(/tenant-2: filed /);
  });
});
