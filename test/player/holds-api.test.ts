// Legal holds in the player: supervisors list, place (recording, agent, period) and release them, each with a
// reason and each in the audit trail; agents may not; a held recording cannot be deleted (409 naming the hold).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerServer } from '../../src/player/index.js';
import type { FiledRecording, LegalHold } from '../../src/recordings/index.js';
import { Client, type Fixture, makeFixture, recPath, startServer } from './helpers.js';

let fixture: Fixture;
let server: PlayerServer;
let sue: Client;
let bob: Client;
let filed: FiledRecording;

beforeAll(async () => {
  fixture = await makeFixture();
  filed = await fixture.file({ callId: 'held-1', start: new Date(Date.UTC(2026, 10, 3, 9)), internal: '202', external: '0301234567', seconds: 1 });
  let url: string;
  ({ server, url } = await startServer(fixture));
  sue = new Client(url);
  bob = new Client(url);
  expect((await sue.login('sue')).status).toBe(200);
  expect((await bob.login('bob')).status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

describe('legal holds in the player', () => {
  it('a supervisor holds a recording with a reason; it cannot be deleted until released; all of it audited', async () => {
    const placed = await sue.fetch('/api/holds', { method: 'POST', json: { kind: 'recording', recording: filed.name, reason: 'complaint C-88' } });
    expect(placed.status).toBe(201);
    const hold = (await placed.json()) as LegalHold;
    expect(hold).toMatchObject({ scope: { kind: 'recording', callId: 'held-1', recording: filed.name }, reason: 'complaint C-88', placedBy: 'sue' });
    expect(hold.id).toMatch(/^H-[0-9a-f]{10}$/);
    const deleted = await sue.fetch(recPath(filed.name), { method: 'DELETE' });
    expect(deleted.status).toBe(409);
    expect(((await deleted.json()) as { error: string }).error).toContain(`under legal hold ${hold.id}`);
    const list = await sue.json<{ holds: LegalHold[] }>('/api/holds');
    expect(list.holds.map((h) => h.id)).toEqual([hold.id]);

    const released = await sue.json<LegalHold>(`/api/holds/${hold.id}/release`, { method: 'POST', json: { reason: 'complaint withdrawn' } });
    expect(released.released).toMatchObject({ by: 'sue', reason: 'complaint withdrawn' });
    expect((await sue.fetch(recPath(filed.name), { method: 'DELETE' })).status).toBe(204);

    await expect
      .poll(async () => (await sue.json<{ entries: Array<{ action: string; detail: Record<string, unknown> }> }>('/api/audit?user=sue')).entries.map((e) => e.action))
      .toEqual(['delete', 'hold-release', 'hold-place', 'login']);
    const place = (await sue.json<{ entries: Array<{ detail: Record<string, unknown> }> }>('/api/audit?action=hold-place')).entries[0]!;
    expect(place.detail).toMatchObject({ hold: hold.id, kind: 'recording', reason: 'complaint C-88' });
  });

  it('holds on an agent and on a period; every refusal says why; agents may not touch holds', async () => {
    const agent = await sue.fetch('/api/holds', { method: 'POST', json: { kind: 'agent', agent: '212', reason: 'regulator request' } });
    expect(agent.status).toBe(201);
    const period = await sue.fetch('/api/holds', { method: 'POST', json: { kind: 'period', from: '2026-11-01 00:00', to: '2026-11-30 23:59', reason: 'litigation' } });
    expect(period.status).toBe(201);
    const refusals: Array<[unknown, number, RegExp]> = [
      [{ kind: 'agent', reason: 'x' }, 400, /agent: give the agent's number/],
      [{ kind: 'period', from: '2026-11-01 00:00', reason: 'x' }, 400, /to: give the period/],
      [{ kind: 'period', from: '1.11.2026', to: '2026-11-30 23:59', reason: 'x' }, 400, /from: expected YYYY-MM-DD HH:MM/],
      [{ kind: 'period', from: '2026-11-01 00:00', to: '2026-11-31 23:59', reason: 'x' }, 400, /to: expected YYYY-MM-DD HH:MM, got "2026-11-31 23:59"/],
      [{ kind: 'period', from: '2026-11-01 24:00', to: '2026-11-30 23:59', reason: 'x' }, 400, /from: expected YYYY-MM-DD HH:MM/],
      [{ kind: 'recording', recording: 'nope', reason: 'x' }, 404, /no such recording/],
      [{ kind: 'agent', agent: '212' }, 400, /reason/],
    ];
    for (const [body, status, message] of refusals) {
      const res = await sue.fetch('/api/holds', { method: 'POST', json: body });
      expect([res.status, ((await res.json()) as { error: string }).error], JSON.stringify(body)).toEqual([status, expect.stringMatching(message)]);
    }
    const missing = await sue.fetch('/api/holds/H-0000000000/release', { method: 'POST', json: { reason: 'x' } });
    expect(missing.status).toBe(404);
    expect((await bob.fetch('/api/holds')).status).toBe(403);
    expect((await bob.fetch('/api/holds', { method: 'POST', json: { kind: 'agent', agent: '202', reason: 'x' } })).status).toBe(403);
    const id = ((await agent.json()) as LegalHold).id;
    expect((await bob.fetch(`/api/holds/${id}/release`, { method: 'POST', json: { reason: 'x' } })).status).toBe(403);
  });
});
