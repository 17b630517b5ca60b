// The player never passes off a recording that fails verification as the call: audio, waveform, single export and
// ZIP export are refused (409) once its files no longer verify — whether `verify` ran or not — and only an
// investigator may still fetch it, explicitly and logged.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FiledRecording } from '../../src/recordings/index.js';
import type { PlayerServer } from '../../src/player/index.js';
import { Client, type Fixture, PASSWORD, makeFixture, recPath, startServer } from '../player/helpers.js';

let fixture: Fixture;
let server: PlayerServer;
let url: string;
let a: FiledRecording;
let b: FiledRecording;
let c: FiledRecording;

beforeAll(async () => {
  fixture = await makeFixture({ encrypted: true });
  a = await fixture.file({ callId: 'aaaa0001', start: new Date(Date.UTC(2026, 10, 2, 9, 0, 0)), internal: '202', external: '0301111' });
  b = await fixture.file({ callId: 'bbbb0002', start: new Date(Date.UTC(2026, 10, 2, 9, 5, 0)), internal: '202', external: '0302222' });
  c = await fixture.file({ callId: 'cccc0003', start: new Date(Date.UTC(2026, 10, 2, 9, 9, 0)), internal: '202', external: '0303333' });
  ({ server, url } = await startServer(fixture, { auditLogPath: join(fixture.dir, 'audit.log') }));
  await server.accounts.add({ name: 'ivy', password: PASSWORD, role: 'supervisor', permissions: ['export', 'investigate'] });
});

afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

async function statuses(client: Client, name: string, query = ''): Promise<number[]> {
  const out: number[] = [];
  for (const path of [recPath(name, 'audio'), recPath(name, 'waveform'), recPath(name, 'export'), `/api/export?name=${encodeURIComponent(name)}`]) {
    const separator = path.includes('?') ? '&' : '?';
    const res = await client.fetch(query ? `${path}${separator}${query}` : path);
    await res.arrayBuffer().catch(() => undefined);
    out.push(res.status);
  }
  return out;
}

describe('adversarial: the player and tampered recordings', () => {
  it('serves intact recordings', async () => {
    const sue = new Client(url);
    await sue.login('sue');
    expect(await statuses(sue, a.name)).toEqual([200, 200, 200, 200]);
  });

  it('refuses a recording whose pair was replaced by another call\'s, without verify having run, and marks it', async () => {
    copyFileSync(b.audioPath, a.audioPath);
    copyFileSync(b.xmlPath!, a.xmlPath!);
    const sue = new Client(url);
    await sue.login('sue');
    expect(await statuses(sue, a.name)).toEqual([409, 409, 409, 409]);
    const res = await sue.fetch(recPath(a.name, 'audio'));
    expect(await res.text()).toMatch(/failed verification \(tampered\): not served/);
    const details = await sue.json<{ recording: { integrity: string } }>(recPath(a.name));
    expect(details.recording.integrity).toBe('tampered');
    // The other call's own recording is untouched and still served.
    expect(await statuses(sue, b.name)).toEqual([200, 200, 200, 200]);
  });

  it('refuses a recording whose audio was changed by one byte', async () => {
    const bytes = readFileSync(c.audioPath);
    bytes[bytes.length - 20]! ^= 1;
    writeFileSync(c.audioPath, bytes);
    const sue = new Client(url);
    await sue.login('sue');
    expect(await statuses(sue, c.name)).toEqual([409, 409, 409, 409]);
    // Without the permission, asking to investigate changes nothing.
    expect(await statuses(sue, c.name, 'investigate=1')).toEqual([409, 409, 409, 409]);
  });

  it('an investigator gets it only by asking explicitly, and the audit log says so', async () => {
    const ivy = new Client(url);
    await ivy.login('ivy');
    expect((await ivy.fetch(recPath(a.name, 'audio'))).status).toBe(409);
    const res = await ivy.fetch(`${recPath(a.name, 'audio')}?investigate=1`);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const zip = await ivy.fetch(`/api/export?name=${encodeURIComponent(a.name)}&investigate=1`);
    expect(zip.status).toBe(200);
    await zip.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const log = readFileSync(join(fixture.dir, 'audit.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { user: string; action: string; recording?: string });
    expect(log.filter((e) => e.user === 'ivy' && e.action === 'investigate' && e.recording === a.name).length).toBeGreaterThanOrEqual(2);
    expect(log.some((e) => e.user === 'sue' && e.action === 'refused-tampered' && e.recording === c.name)).toBe(true);
  });
});
