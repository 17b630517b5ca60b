// The audit trail in the player: supervisors browse and filter it (who played recording X; what did user Y do),
// export it as CSV (read back by Python's csv module), and check its chain; agents may not; a play's reason and a
// log-out are in it.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlayerServer } from '../../src/player/index.js';
import type { FiledRecording } from '../../src/recordings/index.js';
import { Client, type Fixture, makeFixture, recPath, startServer } from './helpers.js';

let fixture: Fixture;
let server: PlayerServer;
let url: string;
let sue: Client;
let bob: Client;
const filed: FiledRecording[] = [];

interface Entry {
  seq: number;
  at: string;
  user: string;
  action: string;
  recording?: string;
  detail: Record<string, unknown>;
}

beforeAll(async () => {
  fixture = await makeFixture({ encrypted: true });
  filed.push(await fixture.file({ callId: 'audit-a', start: new Date(Date.UTC(2026, 11, 1, 9)), internal: '202', external: '0301234567', seconds: 2 }));
  filed.push(await fixture.file({ callId: 'audit-b', start: new Date(Date.UTC(2026, 11, 2, 9)), internal: '212', external: '0301234568', seconds: 2 }));
  ({ server, url } = await startServer(fixture));
  sue = new Client(url);
  bob = new Client(url);
  expect((await sue.login('sue')).status).toBe(200);
  expect((await bob.login('bob')).status).toBe(200);
  expect((await sue.fetch(`${recPath(filed[0]!.name, 'audio')}?reason=${encodeURIComponent('dispute, "urgent"')}`)).status).toBe(200);
  expect((await bob.fetch(recPath(filed[1]!.name, 'audio'))).status).toBe(200);
  expect((await bob.fetch(recPath(filed[0]!.name, 'export'))).status).toBe(200);
  expect((await bob.fetch('/api/logout', { method: 'POST' })).status).toBe(204);
  // Entries are written as the answers go out: wait until all six (two log-ins, two plays, an export, a log-out) are in.
  await vi.waitFor(async () => expect((await sue.json<{ total: number }>('/api/audit')).total).toBe(6));
});

afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

describe('the audit trail in the player', () => {
  it('who played recording X: every play and export of it, newest first, with the reason given', async () => {
    const page = await sue.json<{ total: number; entries: Entry[] }>(`/api/audit?recording=${encodeURIComponent(filed[0]!.name)}`);
    expect(page.entries.map((e) => [e.user, e.action])).toEqual([['bob', 'export'], ['sue', 'play']]);
    expect(page.entries[1]!.detail).toMatchObject({ reason: 'dispute, "urgent"' });
    expect(page.entries[0]!.seq).toBeGreaterThan(page.entries[1]!.seq);
  });

  it('what did user Y do: by user, by action, by time, paged; a bad filter is a 400 naming it', async () => {
    const bobs = await sue.json<{ total: number; entries: Entry[] }>('/api/audit?user=bob');
    expect(bobs.entries.map((e) => e.action)).toEqual(['logout', 'export', 'play', 'login']);
    expect((await sue.json<{ entries: Entry[] }>('/api/audit?user=bob&action=play')).entries.map((e) => e.recording)).toEqual([filed[1]!.name]);
    const page = await sue.json<{ total: number; entries: Entry[] }>('/api/audit?user=bob&limit=2&offset=1');
    expect(page).toMatchObject({ total: 4 });
    expect(page.entries.map((e) => e.action)).toEqual(['export', 'play']);
    const today = new Date().toISOString().slice(0, 10);
    expect((await sue.json<{ total: number }>(`/api/audit?user=bob&from=${today}&to=${today}`)).total).toBe(4);
    expect((await sue.json<{ total: number }>('/api/audit?user=bob&to=2020-01-01')).total).toBe(0);
    const bad = await sue.fetch('/api/audit?from=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/from: expected an ISO time/);
    expect((await sue.fetch('/api/audit?limit=5000')).status).toBe(400);
  });

  it('exported as CSV that a standard parser reads back (quotes and commas in a reason)', async () => {
    const res = await sue.fetch('/api/audit?format=csv&action=play');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/audit-trail\.csv/);
    const parsed = JSON.parse(
      execFileSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.DictReader(sys.stdin))))'], { input: await res.text(), encoding: 'utf8' }),
    ) as Array<Record<string, string>>;
    expect(parsed.map((row) => [row.user, row.action, row.recording])).toEqual([['bob', 'play', filed[1]!.name], ['sue', 'play', filed[0]!.name]]);
    expect(JSON.parse(parsed[1]!.detail!)).toEqual({ reason: 'dispute, "urgent"' });
  });

  it('agents may neither read nor check it; a supervisor checks the chain, and that check is in the trail too', async () => {
    const ann = new Client(url);
    expect((await ann.login('ann')).status).toBe(200);
    expect((await ann.fetch('/api/audit')).status).toBe(403);
    expect((await ann.fetch('/api/audit/verify', { method: 'POST' })).status).toBe(403);
    // Ann's log-in is written as its answer goes out: in the trail before the check counts it.
    await vi.waitFor(async () => expect((await sue.json<{ total: number }>('/api/audit?user=ann')).total).toBe(1));
    const result = await sue.json<{ problems: unknown[]; entries: number }>('/api/audit/verify', { method: 'POST' });
    expect(result.problems).toEqual([]);
    expect(result.entries).toBeGreaterThan(6);
    // Written as the answer goes out: there a moment later.
    await expect.poll(async () => (await sue.json<{ entries: Entry[] }>('/api/audit?action=audit-verify')).entries[0]).toMatchObject({ user: 'sue', detail: { problems: 0 } });
  });

  it('a search is in the trail with its filters and result count (not each further page); the service trail and the completeness report need the service configuration', async () => {
    expect((await bob.login('bob')).status).toBe(200);
    expect((await bob.fetch('/api/recordings?internal=212&direction=in')).status).toBe(200);
    expect((await bob.fetch('/api/recordings?internal=212&direction=in&offset=50')).status).toBe(200);
    await expect.poll(async () => (await sue.json<{ entries: Entry[] }>('/api/audit?user=bob&action=search')).entries).toHaveLength(1);
    const [search] = (await sue.json<{ entries: Entry[] }>('/api/audit?user=bob&action=search')).entries;
    expect(search!.detail).toEqual({ query: { internal: '212', direction: 'in' }, results: 1 });
    // This player was started without the service's trail or its configuration: said so, and a wrong trail is named.
    const service = await sue.fetch('/api/audit?trail=service');
    expect(service.status).toBe(409);
    expect(await service.text()).toMatch(/not given the recording service's trail/);
    const bogus = await sue.fetch('/api/audit?trail=kernel');
    expect(bogus.status).toBe(400);
    expect(((await bogus.json()) as { error: string }).error).toBe('trail: expected "player" or "service", got "kernel"');
    expect((await sue.fetch('/api/reconcile?from=2026-12-01&to=2026-12-01')).status).toBe(409);
    expect((await bob.fetch('/api/reconcile?from=2026-12-01&to=2026-12-01')).status).toBe(403);
  });
});
