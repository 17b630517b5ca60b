// The compliance officer and the reason to listen: a compliance account sees every call's data, the audit trail,
// completeness and holds, but hears nothing unless granted `listen`; with server.reasonOnPlay every play needs a
// reason (the web player asks for it: Chromium answers the prompt, or dismisses it and nothing plays). An accounts
// file from before the role is migrated with its sessions and preferences kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/player/index.js';
import type { PlayerServer } from '../../src/player/index.js';
import type { FiledRecording } from '../../src/recordings/index.js';
import { launchChromium, logIn } from '../helpers/browser.js';
import { Client, type Fixture, PASSWORD, makeFixture, recPath, startServer } from './helpers.js';

let fixture: Fixture;
let server: PlayerServer;
let url: string;
let browser: Browser;
const filed: FiledRecording[] = [];

beforeAll(async () => {
  fixture = await makeFixture();
  filed.push(await fixture.file({ callId: 'cmp-a', start: new Date(Date.UTC(2026, 11, 1, 9)), internal: '202', external: '0301234567', seconds: 1 }));
  filed.push(await fixture.file({ callId: 'cmp-b', start: new Date(Date.UTC(2026, 11, 2, 9)), internal: '203', external: '0301234568', seconds: 1 }));
  ({ server, url } = await startServer(fixture, { reasonOnPlay: true }));
  await server.accounts.add({ name: 'carl', password: PASSWORD, role: 'compliance', permissions: [] });
  await server.accounts.add({ name: 'cora', password: PASSWORD, role: 'compliance', permissions: ['listen', 'export'] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fixture?.cleanup();
});

describe('the compliance officer', () => {
  it('sees every call, the trail, completeness and holds; hears nothing unless granted listen', async () => {
    const carl = new Client(url);
    expect((await carl.login('carl')).status).toBe(200);
    expect((await carl.json<{ total: number }>('/api/recordings')).total).toBe(2);
    expect((await carl.fetch('/api/audit')).status).toBe(200);
    expect((await carl.fetch('/api/holds')).status).toBe(200);
    expect((await carl.fetch('/api/reconcile?from=2026-12-01&to=2026-12-01')).status).toBe(409); // this player has no reconciler
    const play = await carl.fetch(`${recPath(filed[0]!.name, 'audio')}?reason=audit`);
    expect(play.status).toBe(403);
    expect(((await play.json()) as { error: string }).error).toMatch(/listen permission/);
    expect((await carl.fetch(`/api/export?name=${encodeURIComponent(filed[0]!.name)}`)).status).toBe(403);
    expect((await carl.fetch('/api/status')).status).toBe(403); // the service's panel stays the supervisors'
    const cora = new Client(url);
    expect((await cora.login('cora')).status).toBe(200);
    expect((await cora.fetch(`${recPath(filed[1]!.name, 'audio')}?reason=${encodeURIComponent('MiFID review Q4')}`)).status).toBe(200);
  });

  it('with reasonOnPlay, a play without a reason is refused; with one, the reason is in the trail', async () => {
    const sue = new Client(url);
    expect((await sue.login('sue')).status).toBe(200);
    const bare = await sue.fetch(recPath(filed[0]!.name, 'audio'));
    expect(bare.status).toBe(400);
    expect(((await bare.json()) as { error: string }).error).toMatch(/reason: this site asks why you listen/);
    expect((await sue.fetch(`${recPath(filed[0]!.name, 'audio')}?reason=complaint%20C-1`)).status).toBe(200);
    await expect.poll(async () => (await sue.json<{ entries: Array<{ user: string; detail: Record<string, unknown> }> }>('/api/audit?action=play')).entries.map((e) => [e.user, e.detail.reason])).toEqual([
      ['sue', 'complaint C-1'],
      ['cora', 'MiFID review Q4'],
    ]);
    expect((await sue.json<{ reasonOnPlay: boolean }>('/api/session')).reasonOnPlay).toBe(true);
  });

  it('the web player asks for the reason: answered, the call plays with it; dismissed, nothing plays', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await logIn(page, url, 'sue', PASSWORD);
    const row = page.locator(`#results-body tr[data-name="${filed[1]!.name}"]`);
    await row.waitFor();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await row.dblclick();
    await expect.poll(() => page.locator('.toast').last().textContent()).toMatch(/give a reason to listen/);
    expect(await page.locator('#audio').getAttribute('src')).toBeNull();
    page.once('dialog', (dialog) => {
      expect(dialog.message()).toContain('203');
      void dialog.accept('quality review');
    });
    await row.dblclick();
    await expect.poll(() => page.locator('#audio').getAttribute('src')).toContain('reason=quality+review');
    const sue = new Client(url);
    await sue.login('sue');
    await expect.poll(async () => (await sue.json<{ entries: Array<{ recording?: string; detail: Record<string, unknown> }> }>(`/api/audit?action=play&recording=${encodeURIComponent(filed[1]!.name)}`)).entries.map((e) => e.detail.reason)).toContain('quality review');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('legal holds in the web player', () => {
  it('a compliance officer places an agent hold with its reason and releases it, from the Audit dialog', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await logIn(page, url, 'carl', PASSWORD);
    await page.locator('#open-compliance').click();
    await page.locator('#compliance [data-pane="holds"]').click();
    expect(await page.locator('#h-from').isVisible()).toBe(false);
    await page.locator('#h-agent').fill('203');
    await page.locator('#h-reason').fill('regulator request R-9');
    await page.locator('#h-place').click();
    const row = page.locator('#holds-body tr[data-state="active"]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').nth(1).textContent()).toBe('agent 203');
    expect(await row.locator('td').nth(2).textContent()).toBe('regulator request R-9');
    page.once('dialog', (dialog) => void dialog.accept('request withdrawn'));
    await row.locator('button').click();
    await expect.poll(() => page.locator('#holds-body tr').first().getAttribute('data-state')).toBe('released');
    expect(await page.locator('#holds-body tr').first().locator('td').nth(4).textContent()).toBe('released by carl: request withdrawn');
    // The period form shows its own fields.
    await page.locator('#h-kind').selectOption('period');
    expect(await page.locator('#h-from').isVisible()).toBe(true);
    expect(await page.locator('#h-agent').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('accounts from before the compliance role', () => {
  it('are migrated: the role allowed, users, sessions and preferences kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accounts-migrate-'));
    try {
      const path = join(dir, 'accounts.sqlite');
      const before = new AccountStore(path);
      await before.add({ name: 'sue', password: PASSWORD, role: 'supervisor', permissions: [] });
      const session = before.createSession('sue');
      before.savePreferences('sue', { view: 'live' });
      before.close();
      // Put the old CHECK back, as a file written by the earlier version has it.
      const db = new Database(path);
      const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'users'").get() as { sql: string }).sql;
      db.pragma('foreign_keys = OFF');
      db.exec(`${sql.replace('CREATE TABLE users', 'CREATE TABLE users_old').replace("'agent', 'supervisor', 'compliance'", "'agent', 'supervisor'")}; INSERT INTO users_old SELECT * FROM users; DROP TABLE users; ALTER TABLE users_old RENAME TO users;`);
      db.close();
      const after = new AccountStore(path);
      try {
        await after.add({ name: 'carl', password: PASSWORD, role: 'compliance', permissions: ['listen'] });
        expect(after.list().map((a) => [a.name, a.role])).toEqual([
          ['carl', 'compliance'],
          ['sue', 'supervisor'],
        ]);
        expect(after.preferences('sue')).toEqual({ view: 'live' });
        expect(after.session(session.token)?.account.name).toBe('sue');
      } finally {
        after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
