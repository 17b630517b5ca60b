// Four-eyes for export and erasure ([server] fourEyes): without an approval both are refused (403, saying how);
// the asker cannot approve their own request; an approval counts once, for its action, its asker and the
// recordings it names; refused requests count for nothing; every step is in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval, PlayerServer } from '../../src/player/index.js';
import type { FiledRecording } from '../../src/recordings/index.js';
import { Client, type Fixture, PASSWORD, makeFixture, recPath, startServer } from './helpers.js';
import { launchChromium, logIn } from '../helpers/browser.js';

let fixture: Fixture;
let server: PlayerServer;
let sue: Client;
let rita: Client;
let bob: Client;
let url: string;
const filed: FiledRecording[] = [];

beforeAll(async () => {
  fixture = await makeFixture();
  filed.push(await fixture.file({ callId: 'four-a', start: new Date(Date.UTC(2026, 11, 1, 9)), internal: '202', external: '0301234567', seconds: 1 }));
  filed.push(await fixture.file({ callId: 'four-b', start: new Date(Date.UTC(2026, 11, 2, 9)), internal: '212', external: '0301234568', seconds: 1 }));
  filed.push(await fixture.file({ callId: 'four-c', start: new Date(Date.UTC(2026, 11, 3, 9)), internal: '212', external: '0301234569', seconds: 1 }));
  ({ server, url } = await startServer(fixture, { fourEyes: ['export', 'erase'] }));
  await server.accounts.add({ name: 'carl', password: PASSWORD, role: 'compliance', permissions: [] });
  sue = new Client(url);
  rita = new Client(url);
  bob = new Client(url);
  for (const [client, name] of [[sue, 'sue'], [rita, 'rita'], [bob, 'bob']] as const) expect((await client.login(name)).status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

const ask = async (client: Client, action: 'export' | 'erase', recordings: string[], reason = 'court order 12'): Promise<Approval> => {
  const res = await client.fetch('/api/approvals', { method: 'POST', json: { action, recordings, reason } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Approval;
};

describe('four-eyes approval', () => {
  it('an export needs an approval by another person, counts once and only for the recordings it names', async () => {
    const name = filed[1]!.name;
    const bare = await bob.fetch(`/api/export?name=${encodeURIComponent(name)}`);
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { error: string }).error).toMatch(/needs a second person's approval here/);
    const request = await ask(bob, 'export', [name]);
    expect(request).toMatchObject({ action: 'export', recordings: [name], requestedBy: 'bob' });
    // Not yet approved; not approvable by an agent; not by the asker (were the asker a supervisor).
    expect(((await (await bob.fetch(`/api/export?name=${encodeURIComponent(name)}&approval=${request.id}`)).json()) as { error: string }).error).toMatch(/not approved yet/);
    expect((await bob.fetch(`/api/approvals/${request.id}/approve`, { method: 'POST' })).status).toBe(403);
    const own = await ask(sue, 'export', [name]);
    const self = await sue.fetch(`/api/approvals/${own.id}/approve`, { method: 'POST' });
    expect(self.status).toBe(409);
    expect(((await self.json()) as { error: string }).error).toMatch(/the one who asked \(sue\) cannot decide it/);
    // Rita approves Bob's request: Bob exports once; again, or by Sue, or for another recording, it does not count.
    expect((await rita.json<Approval>(`/api/approvals/${request.id}/approve`, { method: 'POST' })).decision).toBe('approved');
    const zip = await bob.fetch(`/api/export?name=${encodeURIComponent(name)}&approval=${request.id}`);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toMatch(/zip/);
    await zip.arrayBuffer();
    expect(((await (await bob.fetch(`/api/export?name=${encodeURIComponent(name)}&approval=${request.id}`)).json()) as { error: string }).error).toMatch(/used already/);
    const other = await ask(bob, 'export', [name]);
    await rita.json(`/api/approvals/${other.id}/approve`, { method: 'POST' });
    expect(((await (await sue.fetch(`/api/export?name=${encodeURIComponent(name)}&approval=${other.id}`)).json()) as { error: string }).error).toMatch(/asked for by bob, not sue/);
    expect(((await (await bob.fetch(`${recPath(filed[0]!.name, 'export')}?approval=${other.id}`)).json()) as { error: string }).error).toMatch(/does not cover|no such recording/);
  });

  it('an erasure needs one too; a refused request counts for nothing; the whole exchange is in the trail', async () => {
    const name = filed[0]!.name;
    const path = `/api/recordings/${encodeURIComponent(name)}/erase`;
    expect(((await (await sue.fetch(path, { method: 'POST', json: { reason: 'GDPR request 5' } })).json()) as { error: string }).error).toMatch(/erase needs a second person's approval/);
    const refused = await ask(sue, 'erase', [name], 'GDPR request 5');
    const carl = new Client(url);
    expect((await carl.login('carl')).status).toBe(200);
    expect((await carl.json<Approval>(`/api/approvals/${refused.id}/refuse`, { method: 'POST' })).decision).toBe('refused');
    expect(((await (await sue.fetch(path, { method: 'POST', json: { reason: 'GDPR request 5', approval: refused.id } })).json()) as { error: string }).error).toMatch(/refused by carl/);
    const approved = await ask(sue, 'erase', [name], 'GDPR request 5');
    await carl.json(`/api/approvals/${approved.id}/approve`, { method: 'POST' });
    const erased = await sue.fetch(path, { method: 'POST', json: { reason: 'GDPR request 5', approval: approved.id } });
    expect(erased.status).toBe(200);
    expect(fixture.recordings.row(name)).toBeUndefined();
    // Agents may not ask for an erasure at all.
    expect((await bob.fetch('/api/approvals', { method: 'POST', json: { action: 'erase', recordings: [filed[1]!.name], reason: 'x' } })).status).toBe(403);
    // Entries are written as the answers go out: there a moment later.
    const actions = async (): Promise<string[]> => (await sue.json<{ entries: Array<{ user: string; action: string }> }>('/api/audit?limit=100')).entries.map((e) => `${e.user} ${e.action}`);
    await expect.poll(actions).toContain('sue erase');
    for (const step of ['sue approval-request', 'carl approval-refuse', 'carl approval-approve', 'sue approval-use', 'rita approval-approve', 'bob approval-use', 'bob export']) expect(await actions()).toContain(step);
    // Everyone sees their own requests; overseers see all.
    expect((await bob.json<{ approvals: Approval[] }>('/api/approvals')).approvals.every((a) => a.requestedBy === 'bob')).toBe(true);
    expect((await carl.json<{ fourEyes: string[]; approvals: Approval[] }>('/api/approvals')).fourEyes).toEqual(['export', 'erase']);
  });

  it('in the web player: the agent asks when exporting, a supervisor approves in the Audit dialog, the export then downloads', { timeout: 60_000 }, async () => {
    const name = filed[2]!.name; // one no earlier test asked for
    const browser = await launchChromium();
    try {
      const agent = await browser.newPage();
      const errors: string[] = [];
      agent.on('pageerror', (error) => errors.push(error.message));
      await logIn(agent, url, 'bob', PASSWORD);
      const row = agent.locator(`#results-body tr[data-name="${name}"]`);
      // The list is drawn again as the page settles after log-in (preferences, live view): select until it holds.
      const select = (): Promise<void> =>
        expect
          .poll(async () => {
            if (!((await row.getAttribute('class')) ?? '').split(' ').includes('selected')) await row.click();
            return agent.locator('#export-selected').isEnabled();
          })
          .toBe(true);
      await select();
      agent.once('dialog', (dialog) => void dialog.accept('dispute D-7'));
      await agent.locator('#export-selected').click();
      await expect.poll(() => agent.locator('.toast').last().textContent()).toMatch(/Approval asked/);
      const asked = (await sue.json<{ approvals: Approval[] }>('/api/approvals')).approvals.find((a) => a.reason === 'dispute D-7')!;
      expect(asked).toMatchObject({ action: 'export', recordings: [name], requestedBy: 'bob' });
      // Asked again before a decision: told to wait, nothing asked twice.
      await select();
      await agent.locator('#export-selected').click();
      await expect.poll(() => agent.locator('.toast').last().textContent()).toMatch(/Waiting for approval/);

      const supervisor = await browser.newPage();
      await logIn(supervisor, url, 'rita', PASSWORD);
      await supervisor.locator('#open-compliance').click();
      await supervisor.locator('#compliance [data-pane="approvals"]').click();
      const request = supervisor.locator(`#approvals-body tr[data-approval="${asked.id}"]`);
      await request.locator('button[data-decide="approve"]').click();
      await expect.poll(() => request.getAttribute('data-state')).toBe('approved');

      await select();
      const downloaded = agent.waitForEvent('download');
      await agent.locator('#export-selected').click();
      const file = await downloaded;
      expect(file.url()).toContain(`approval=${asked.id}`);
      expect(await file.failure()).toBeNull();
      expect((await sue.json<{ approvals: Approval[] }>('/api/approvals')).approvals.find((a) => a.id === asked.id)!.usedAt).toBeDefined();
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
  it('in the web player: a supervisor erases a recording from its panel — reason asked, approval asked for with it, then erased', { timeout: 60_000 }, async () => {
    // A recording of its own (an earlier test erased another).
    const { name } = await fixture.file({ callId: 'four-d', start: new Date(Date.UTC(2026, 11, 3, 10)), internal: '202', external: '0301234570', seconds: 1 });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // An agent sees no Erase button.
      await logIn(page, url, 'bob', PASSWORD);
      const bobsRow = page.locator('#results-body tr').first();
      await bobsRow.dblclick();
      await expect.poll(() => page.locator('#details .kv').count()).toBeGreaterThan(0);
      expect(await page.locator('#a-erase').isHidden()).toBe(true);
      await page.close();

      const sues = await browser.newPage();
      sues.on('pageerror', (error) => errors.push(error.message));
      await logIn(sues, url, 'sue', PASSWORD);
      const open = async (): Promise<void> => {
        await sues.locator(`#results-body tr[data-name="${name}"]`).dblclick();
        await expect.poll(() => sues.locator('#a-erase').isVisible()).toBe(true);
      };
      await open();
      // First attempt: the reason is asked for once and, as the site wants four-eyes, becomes the approval request.
      const prompts: string[] = [];
      const answer = (dialog: import('playwright-core').Dialog): void => {
        prompts.push(dialog.message());
        void dialog.accept('GDPR Art. 17 request 77');
      };
      sues.on('dialog', answer);
      await sues.locator('#a-erase').click();
      await expect.poll(() => sues.locator('.toast').last().textContent()).toMatch(/Approval asked/);
      expect(prompts).toHaveLength(1);
      expect(prompts[0]).toMatch(/Erase this recording on a data subject's request\?/);
      const asked = (await rita.json<{ approvals: Approval[] }>('/api/approvals')).approvals.find((a) => a.action === 'erase' && a.reason === 'GDPR Art. 17 request 77')!;
      expect(asked).toMatchObject({ recordings: [name], requestedBy: 'sue' });
      expect((await rita.json<Approval>(`/api/approvals/${asked.id}/approve`, { method: 'POST' })).decision).toBe('approved');
      // Second attempt: the approval is used, the recording erased, the list no longer shows it.
      await open();
      await sues.locator('#a-erase').click();
      await expect.poll(() => sues.locator('.toast').last().textContent()).toMatch(/Erased/);
      await expect.poll(() => sues.locator(`#results-body tr[data-name="${name}"]`).count()).toBe(0);
      expect(fixture.recordings.search({ callId: 'four-d' }).rows).toEqual([]);
      const trail = await sue.json<{ entries: Array<{ user: string; action: string; detail?: Record<string, unknown> }> }>('/api/audit?action=erase');
      expect(trail.entries.map((e) => [e.user, e.action])).toContainEqual(['sue', 'erase']);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
