// The player API against a real store and index on loopback: every filter, every permission, live events.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decryptBytes } from '../../src/platform/crypto/index.js';
import type { PlayerServer } from '../../src/player/index.js';
import type { FiledRecording } from '../../src/recordings/index.js';
import { Client, type Fixture, makeFixture, openEvents, recPath, startServer } from './helpers.js';

interface Row {
  name: string;
  internal: string;
  external: string;
  callId: string;
  tan?: string;
  hasNotes: boolean;
  favouriteGlobal: boolean;
  favouriteMine: boolean;
  format: string;
  integrity: string;
}
interface Page {
  total: number;
  rows: Row[];
}

let fixture: Fixture;
let server: PlayerServer;
let url: string;
const filed: Record<string, FiledRecording> = {};
const sue = (): Client => clients.sue!;
const clients: Record<string, Client> = {};

const utc = (y: number, m: number, d: number, h: number, min = 0): Date => new Date(Date.UTC(y, m - 1, d, h, min));

beforeAll(async () => {
  fixture = await makeFixture({ encrypted: true });
  const calls = [
    { key: 'a', callId: 'call-a', start: utc(2024, 5, 3, 9), internal: '201', external: '0301234567', direction: 'in' as const },
    { key: 'b', callId: 'call-b', start: utc(2024, 5, 3, 11), internal: '202', external: '0409876543', direction: 'out' as const, tan: '123456' },
    { key: 'c', callId: 'call-c', start: utc(2024, 5, 17, 14), internal: '212', external: '0301999888', direction: 'in' as const, format: 'mp3' as const },
    { key: 'd', callId: 'call-d', start: utc(2024, 6, 1, 8), internal: '2010', external: '+4930555', direction: 'out' as const },
    { key: 'e', callId: 'call-e', start: utc(2024, 6, 2, 16), internal: '301', external: '0301234000', direction: 'in' as const, tan: '000000' },
    { key: 'f', callId: 'call-f', start: utc(2024, 6, 2, 17), internal: '201', external: '0800111', direction: 'out' as const },
  ];
  for (const { key, ...call } of calls) filed[key] = await fixture.file(call);
  ({ server, url } = await startServer(fixture, { loginLimit: { maxFailuresPerUser: 3, maxFailuresPerAddress: 100 } }));
  for (const name of ['sue', 'ann', 'bob', 'rita']) {
    clients[name] = new Client(url);
    expect((await clients[name]!.login(name)).status).toBe(200);
  }
});

afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

async function names(client: Client, query: string): Promise<string[]> {
  const page = await client.json<Page>(`/api/recordings?${query}`);
  return page.rows.map((r) => r.callId);
}

describe('search filters', () => {
  it('month, day, order and paging', async () => {
    expect(await names(sue(), '')).toEqual(['call-f', 'call-e', 'call-d', 'call-c', 'call-b', 'call-a']);
    expect(await names(sue(), 'order=oldest')).toEqual(['call-a', 'call-b', 'call-c', 'call-d', 'call-e', 'call-f']);
    expect(await names(sue(), 'month=2024_05')).toEqual(['call-c', 'call-b', 'call-a']);
    expect(await names(sue(), 'month=2024_06&day=2')).toEqual(['call-f', 'call-e']);
    const page = await sue().json<Page>('/api/recordings?limit=2&offset=2');
    expect(page.total).toBe(6);
    expect(page.rows.map((r) => r.callId)).toEqual(['call-d', 'call-c']);
  });

  it('internal: exact, * and ? wildcards', async () => {
    expect(await names(sue(), 'internal=201')).toEqual(['call-f', 'call-a']); // exact: 2010 is not 201
    expect(await names(sue(), 'internal=20')).toEqual([]); // the reference: 36 does not find 361
    expect(await names(sue(), `internal=${encodeURIComponent('2*')}`)).toEqual(['call-f', 'call-d', 'call-c', 'call-b', 'call-a']);
    expect(await names(sue(), `internal=${encodeURIComponent('2?2')}`)).toEqual(['call-c', 'call-b']);
  });

  it('external: prefix, with wildcards', async () => {
    expect(await names(sue(), 'external=0301')).toEqual(['call-e', 'call-c', 'call-a']);
    expect(await names(sue(), `external=${encodeURIComponent('030?9')}`)).toEqual(['call-c']);
    expect(await names(sue(), `external=${encodeURIComponent('+49')}`)).toEqual(['call-d']);
  });

  it('direction, TAN, format, date range, favourites', async () => {
    expect(await names(sue(), 'direction=out')).toEqual(['call-f', 'call-d', 'call-b']);
    expect(await names(sue(), 'tan=123456')).toEqual(['call-b']);
    expect(await names(sue(), 'tan=000000')).toEqual(['call-e']);
    expect(await names(sue(), 'format=mp3')).toEqual(['call-c']);
    expect(await names(sue(), `from=2024-05-03T10:00:00Z&to=2024-06-01T08:00:00Z`)).toEqual(['call-c', 'call-b']);
    expect(await names(sue(), `from=2024-06-02`)).toEqual(['call-f', 'call-e']);
    await sue().json(recPath(filed.a!.name, 'favourite'), { method: 'PUT', json: { scope: 'global', on: true } });
    await sue().json(recPath(filed.c!.name, 'favourite'), { method: 'PUT', json: { scope: 'mine', on: true } });
    expect(await names(sue(), 'favourite=global')).toEqual(['call-a']);
    expect(await names(sue(), 'favourite=mine')).toEqual(['call-c']);
    expect(await names(clients.rita!, 'favourite=mine')).toEqual([]); // personal to sue
    expect(await names(clients.rita!, 'favourite=global')).toEqual(['call-a']);
  });

  it('bad filter values are 400 naming the field; SQL metacharacters are only data', async () => {
    for (const [query, field] of [
      ['month=2024-05', 'month'],
      ['day=32', 'day'],
      ['day=x', 'day'],
      ['direction=up', 'direction'],
      ['tan=12345', 'tan'],
      ['format=ogg', 'format'],
      ['from=yesterday', 'from'],
      ['order=random', 'order'],
      ['limit=100000', 'limit'],
      ['colour=blue', 'colour'],
      ['month=2024_05&month=2024_06', 'month'],
      [`month=${encodeURIComponent("2024_05' OR '1'='1")}`, 'month'],
    ]) {
      const res = await sue().fetch(`/api/recordings?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error, query).toContain(field);
    }
    for (const hostile of ["' OR 1=1 --", '201"; DROP TABLE recordings; --', '%', '_', "2*' UNION SELECT * FROM favourites --"]) {
      const page = await sue().json<Page>(`/api/recordings?internal=${encodeURIComponent(hostile)}`);
      expect(page.total, hostile).toBe(0);
      const ext = await sue().json<Page>(`/api/recordings?external=${encodeURIComponent(hostile)}`);
      expect(ext.total, hostile).toBe(0);
    }
    expect((await sue().json<Page>('/api/recordings')).total).toBe(6); // nothing was dropped
  });
});

describe('permissions', () => {
  it('an agent sees only the calls of its own numbers, in lists and by name', async () => {
    expect(await names(clients.ann!, '')).toEqual(['call-f', 'call-a']);
    expect(await names(clients.ann!, `internal=${encodeURIComponent('2*')}`)).toEqual(['call-f', 'call-a']);
    expect(await names(clients.ann!, 'internal=202')).toEqual([]);
    expect(await names(clients.bob!, '')).toEqual(['call-c', 'call-b']); // two numbers, merged newest first
    expect(await names(clients.bob!, 'order=oldest&limit=1&offset=1')).toEqual(['call-c']);
    expect((await clients.bob!.json<Page>('/api/recordings?limit=1')).total).toBe(2);
    for (const action of ['', 'audio', 'waveform', 'notes', 'export']) {
      expect((await clients.ann!.fetch(recPath(filed.b!.name, action))).status, action).toBe(404);
    }
    const zip = await clients.bob!.fetch(`/api/export?name=${encodeURIComponent(filed.b!.name)}&name=${encodeURIComponent(filed.a!.name)}`);
    expect(zip.status).toBe(404);
    expect((await clients.ann!.fetch('/api/recordings?day=x')).status).toBe(400);
  });

  it('switches: TAN, notes, export, delete', async () => {
    const a = filed.a!.name;
    expect((await clients.ann!.fetch(recPath(a, 'tan'), { method: 'PUT', json: { tan: '111111' } })).status).toBe(403);
    expect((await clients.rita!.fetch(recPath(a, 'notes'), { method: 'PUT', json: { text: 'x' } })).status).toBe(403);
    expect((await clients.rita!.fetch(recPath(a, 'export'))).status).toBe(403);
    expect((await clients.rita!.fetch(`/api/export?name=${encodeURIComponent(a)}`)).status).toBe(403);
    expect((await clients.ann!.fetch(recPath(a), { method: 'DELETE' })).status).toBe(403);
    expect((await clients.bob!.fetch(recPath(filed.c!.name, 'notes'), { method: 'PUT', json: { text: 'x' } })).status).toBe(403);
    const session = await clients.ann!.json<{ role: string; numbers: string[]; permissions: string[] }>('/api/session');
    expect(session).toMatchObject({ role: 'agent', numbers: ['201'], permissions: ['notes'] });
  });
});

describe('notes, TAN, favourites, last played, delete', () => {
  it('notes are written beside the recording and indexed; a TAN locks them', async () => {
    const a = filed.a!.name;
    const text = 'Customer asked for a callback.\nLine two — ünïcödé';
    expect((await clients.ann!.json<{ hasNotes: boolean }>(recPath(a, 'notes'), { method: 'PUT', json: { text } })).hasNotes).toBe(true);
    expect(readFileSync(join(fixture.recordings.root, '2024_05', `${a}.txt`), 'utf8')).toBe(text);
    expect((await sue().json<{ text: string }>(recPath(a, 'notes'))).text).toBe(text);
    expect((await sue().json<Page>('/api/recordings?internal=201&month=2024_05')).rows[0]!.hasNotes).toBe(true);
    const locked = await sue().fetch(recPath(filed.b!.name, 'notes'), { method: 'PUT', json: { text: 'x' } });
    expect(locked.status).toBe(409);
    // 000000 means "no TAN": notes stay possible.
    expect((await sue().fetch(recPath(filed.e!.name, 'notes'), { method: 'PUT', json: { text: 'ok' } })).status).toBe(200);
  });

  it('a TAN is changed (renaming every file), never removed; favourites follow the call', async () => {
    const a = filed.a!.name;
    for (const tan of ['', '12345', '1234567', 'abcdef', null]) {
      const res = await sue().fetch(recPath(a, 'tan'), { method: 'PUT', json: { tan } });
      expect(res.status, String(tan)).toBe(400);
    }
    const result = await sue().json<{ name: string; recording: Row }>(recPath(a, 'tan'), { method: 'PUT', json: { tan: '654321' } });
    expect(result.name).toBe(`${a}_T654321`);
    expect(result.recording.tan).toBe('654321');
    expect(result.recording.favouriteGlobal).toBe(true);
    expect(result.recording.hasNotes).toBe(true);
    expect((await sue().fetch(recPath(a))).status).toBe(404);
    expect(await names(sue(), 'tan=654321')).toEqual(['call-a']);
    const files = readdirSync(join(fixture.recordings.root, '2024_05')).filter((f) => f.includes('call-a')).sort();
    expect(files).toEqual([`${a}_T654321.txt`, `${a}_T654321.wav`, `${a}_T654321.xml`]);
    const changed = await sue().json<{ name: string }>(recPath(result.name, 'tan'), { method: 'PUT', json: { tan: '000000' } });
    expect(changed.name).toBe(`${a}_T000000`);
    filed.a = { ...filed.a!, name: changed.name };
  });

  it('last played lists what the user played, newest first', async () => {
    await (await clients.bob!.fetch(recPath(filed.b!.name, 'audio'), { headers: { Range: 'bytes=0-' } })).arrayBuffer();
    await (await clients.bob!.fetch(recPath(filed.c!.name, 'audio'))).arrayBuffer();
    await (await clients.bob!.fetch(recPath(filed.c!.name, 'audio'), { headers: { Range: 'bytes=100-200' } })).arrayBuffer();
    const played = await clients.bob!.json<Page>('/api/last-played');
    expect(played.rows.map((r) => r.callId)).toEqual(['call-c', 'call-b']);
    expect((await clients.ann!.json<Page>('/api/last-played')).rows.map((r) => r.callId)).toEqual([]);
  });

  it('details carry the call data and the CDR with its transfer', async () => {
    const details = await sue().json<{
      recording: Row;
      sidecar: { call: { answered: string; internalName: string }; signed: boolean; encrypted: boolean };
      cdr: Array<{ e164: string; events: Array<{ msg: string; to?: { e164: string } }>; summary: { type: string } }>;
      may: Record<string, boolean>;
    }>(recPath(filed.b!.name));
    expect(details.sidecar.call.answered).toBe('2024-05-03T11:00:03.000Z');
    expect(details.sidecar.signed).toBe(true);
    expect(details.sidecar.encrypted).toBe(true);
    expect(details.cdr[0]!.e164).toBe('202');
    expect(details.cdr[0]!.events.find((e) => e.msg === 'transfer-from')!.to!.e164).toBe('299');
    expect(details.cdr[0]!.summary.type).toBe('ct');
    expect(details.may).toEqual({ tan: true, notes: false, export: true, delete: true, erase: true });
  });

  it('verify re-checks integrity; delete removes files and row', async () => {
    const verified = await sue().json<{ integrity: string }>(recPath(filed.d!.name, 'verify'), { method: 'POST' });
    expect(verified.integrity).toBe('intact');
    const res = await sue().fetch(recPath(filed.d!.name), { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(existsSync(filed.d!.audioPath)).toBe(false);
    expect((await sue().fetch(recPath(filed.d!.name))).status).toBe(404);
    expect(existsSync(join(fixture.dir, 'player-audit.log'))).toBe(true);
    await vi.waitFor(() => expect(readFileSync(join(fixture.dir, 'player-audit.log'), 'utf8')).toContain('"action":"delete"'));
  });
});

describe('audio', () => {
  it('G.711 WAV is served as 16-bit PCM WAV, decrypted, with ranges', async () => {
    const name = filed.b!.name;
    const full = await sue().fetch(recPath(name, 'audio'));
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('audio/wav');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const body = Buffer.from(await full.arrayBuffer());
    expect(body.toString('latin1', 0, 4)).toBe('RIFF');
    expect(body.readUInt16LE(20)).toBe(1); // PCM
    expect(body.readUInt16LE(22)).toBe(2);
    expect(body.readUInt16LE(34)).toBe(16);
    expect(body.length).toBe(44 + 4 * 8000 * 2 * 2);
    expect(Number(full.headers.get('content-length'))).toBe(body.length);

    const part = await sue().fetch(recPath(name, 'audio'), { headers: { Range: 'bytes=1001-2000' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1001-2000/${body.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(1001, 2001))).toBe(true);
    const suffix = await sue().fetch(recPath(name, 'audio'), { headers: { Range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(body.subarray(body.length - 10))).toBe(true);
    const open = await sue().fetch(recPath(name, 'audio'), { headers: { Range: 'bytes=30-' } });
    expect(Buffer.from(await open.arrayBuffer()).equals(body.subarray(30))).toBe(true);
    const head = await sue().fetch(recPath(name, 'audio'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(body.length);
  });

  it('export gives the decrypted original; MP3 keeps audio/mpeg', async () => {
    const b = filed.b!;
    const plain = decryptBytes(readFileSync(b.audioPath), fixture.keyring!);
    const exported = await sue().fetch(recPath(b.name, 'export'));
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain(`${b.name}.wav`);
    expect(Buffer.from(await exported.arrayBuffer()).equals(Buffer.from(plain))).toBe(true);
    const c = filed.c!;
    const mp3 = await sue().fetch(recPath(c.name, 'audio'), { headers: { Range: 'bytes=0-9' } });
    expect(mp3.status).toBe(206);
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await mp3.arrayBuffer()).equals(Buffer.from(decryptBytes(readFileSync(c.audioPath), fixture.keyring!)).subarray(0, 10))).toBe(true);
  });

  it('hostile ranges: unsatisfiable is 416, malformed or multiple ranges get the whole file', async () => {
    const name = filed.b!.name;
    const size = 44 + 4 * 8000 * 4;
    for (const range of [`bytes=${size}-`, 'bytes=99999999999999999999-', 'bytes=-0', `bytes=${size + 5}-${size + 10}`]) {
      const res = await sue().fetch(recPath(name, 'audio'), { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range'), range).toBe(`bytes */${size}`);
    }
    for (const range of ['bytes=abc', 'bytes=0-1,5-6', 'lines=0-10', 'bytes=10-5', 'bytes=--1']) {
      const res = await sue().fetch(recPath(name, 'audio'), { headers: { Range: range } });
      expect(res.status, range).toBe(200);
      expect((await res.arrayBuffer()).byteLength, range).toBe(size);
    }
    const huge = await sue().fetch(recPath(name, 'audio'), { headers: { Range: 'bytes=0-999999999999999999999999' } });
    expect(huge.status).toBe(206);
    expect(huge.headers.get('content-range')).toBe(`bytes 0-${size - 1}/${size}`);
    await huge.arrayBuffer();
  });

  it('waveform: min/max per bucket, left louder in even seconds, cached on disk', async () => {
    const wave = await sue().json<{ channels: number; durationMs: number; buckets: number; min: number[][]; max: number[][] }>(recPath(filed.b!.name, 'waveform'));
    expect(wave).toMatchObject({ channels: 2, durationMs: 4000 });
    expect(wave.buckets).toBeGreaterThan(100);
    const first = Math.floor(wave.buckets / 8); // inside second 0: the external (left) party speaks
    expect(wave.max[0]![first]!).toBeGreaterThan(40);
    expect(wave.max[1]![first]!).toBe(0);
    const second = Math.floor((wave.buckets * 3) / 8); // second 1: internal (right)
    expect(wave.max[1]![second]!).toBeGreaterThan(25);
    expect(readdirSync(join(fixture.dir, 'waveforms')).length).toBe(1);
    const mp3 = await sue().json<{ channels: number; durationMs: number }>(recPath(filed.c!.name, 'waveform'));
    expect(mp3.channels).toBe(2);
    expect(Math.abs(mp3.durationMs - 4000)).toBeLessThan(200);
  });

  it('zip export: decrypted audio, XML and notes, readable by unzip', async () => {
    const a = filed.a!.name;
    const res = await sue().fetch(`/api/export?name=${encodeURIComponent(a)}&name=${encodeURIComponent(filed.c!.name)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const zipPath = join(fixture.dir, 'export.zip');
    writeFileSync(zipPath, Buffer.from(await res.arrayBuffer()));
    execFileSync('unzip', ['-tq', zipPath]); // CRCs and sizes check out
    const listing = execFileSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listing).toEqual([`${filed.c!.name}.mp3`, `${filed.c!.name}.xml`, `${a}.txt`, `${a}.wav`, `${a}.xml`].sort());
    const xml = execFileSync('unzip', ['-p', zipPath, `${a}.xml`], { encoding: 'utf8' });
    expect(xml).toContain('<recording version="1">');
    const wav = execFileSync('unzip', ['-p', zipPath, `${a}.wav`]);
    const stored = (await fixture.recordings.files(a)).audioPath;
    expect(wav.equals(Buffer.from(decryptBytes(readFileSync(stored), fixture.keyring!)))).toBe(true);
    expect((await sue().fetch(`/api/export?${Array.from({ length: 100 }, (_, i) => `name=x${i}`).join('&')}`)).status).toBe(400);
  });
});

describe('hostile requests', () => {
  it('path traversal never reaches the file system', async () => {
    for (const path of [
      '/api/recordings/..%2F..%2F..%2Fetc%2Fpasswd',
      '/api/recordings/%2e%2e%2f%2e%2e%2fetc%2fpasswd/audio',
      `/api/recordings/${encodeURIComponent(`../2024_05/${filed.b!.name}`)}/audio`,
      `/api/recordings/${encodeURIComponent(`${filed.b!.name}.wav`)}/audio`,
      `/api/recordings/${encodeURIComponent(`${filed.b!.name}/../../x`)}`,
      '/api/recordings/%E0%A4%A/audio',
      '/api/recordings/%00/audio',
    ]) {
      const res = await sue().fetch(path);
      expect([400, 404], path).toContain(res.status);
    }
    for (const path of ['/../../../../etc/passwd', '/js/../../package.json', '/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/index.html%00', '/.env', '/js/../app.js']) {
      const res = await fetch(new URL(path, url));
      expect(res.status, path).toBe(404);
    }
    const ok = await fetch(new URL('/js/app.js', url));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/javascript');
  });

  it('bad or forged cookies are 401', async () => {
    for (const cookie of ['', 'rp_session=', 'rp_session=abc', `rp_session=${'A'.repeat(43)}`, `rp_session=${sue().cookie.split('=')[1]!.slice(0, -1)}x`, 'other=1']) {
      const res = await fetch(new URL('/api/recordings', url), { headers: cookie ? { Cookie: cookie } : {} });
      expect(res.status, cookie).toBe(401);
    }
  });

  it('state changes need the CSRF token and our own Origin', async () => {
    const path = recPath(filed.e!.name, 'favourite');
    const body = { scope: 'global', on: true };
    expect((await sue().fetch(path, { method: 'PUT', json: body, csrf: null })).status).toBe(403);
    expect((await sue().fetch(path, { method: 'PUT', json: body, csrf: 'wrong' })).status).toBe(403);
    expect((await sue().fetch(path, { method: 'PUT', json: body, csrf: clients.bob!.csrf })).status).toBe(403);
    expect((await sue().fetch(path, { method: 'PUT', json: body, headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    expect((await sue().fetch('/api/logout', { method: 'POST', csrf: null })).status).toBe(403);
    expect((await sue().fetch(path, { method: 'PUT', json: body, headers: { Origin: url.replace(/\/$/, '') } })).status).toBe(200);
  });

  it('oversized, non-JSON and wrongly typed bodies are refused', async () => {
    const path = recPath(filed.e!.name, 'notes');
    const big = await sue().fetch(path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(70 * 1024) }) });
    expect(big.status).toBe(413);
    expect((await sue().fetch(path, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: '{"text":"x"}' })).status).toBe(415);
    expect((await sue().fetch(path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"text":' })).status).toBe(400);
    expect((await sue().fetch(path, { method: 'PUT', json: ['text'] })).status).toBe(400);
    expect((await sue().fetch(path, { method: 'PUT', json: { text: 42 } })).status).toBe(400);
    expect((await sue().fetch(path, { method: 'PUT', json: { text: 'y'.repeat(32_001) } })).status).toBe(400);
    expect((await sue().fetch(path, { method: 'POST', json: { text: 'x' } })).status).toBe(405);
    expect((await sue().fetch('/api/nothing-here')).status).toBe(404);
  });

  it("bodies are checked against each route's schema, after the session: field-named reasons, strangers learn nothing", async () => {
    const path = recPath(filed.e!.name, 'notes');
    const stranger = await fetch(new URL(path, url), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 42 }) });
    expect(stranger.status).toBe(401);
    const typed = await sue().fetch(path, { method: 'PUT', json: { text: 42 } });
    expect(((await typed.json()) as { error: string }).error).toBe('text: expected a string');
    const missing = await sue().fetch(recPath(filed.e!.name, 'favourite'), { method: 'PUT', json: { scope: 'everyone', on: true } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe('scope: expected global or mine');
    const long = await sue().fetch(path, { method: 'PUT', json: { text: 'y'.repeat(32_001) } });
    expect(((await long.json()) as { error: string }).error).toBe('text: longer than 32000 characters');
  });

  it('security headers on every response', async () => {
    for (const path of ['/', '/api/recordings', '/api/session']) {
      const res = await fetch(new URL(path, url));
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy'), path).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    const login = await new Client(url).login('rita');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP on loopback
  });

  it('logins are rate limited; unknown users fail like wrong passwords', async () => {
    const client = new Client(url);
    expect((await client.login('nobody', 'whatever-password')).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await client.login('rita', 'wrong password')).status).toBe(401);
    const limited = await client.login('rita', 'wrong password');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await client.login('rita')).status).toBe(429); // even the right password waits
    expect((await client.login('sue')).status).toBe(200); // other accounts are not locked out
  });

  it('passwords are stored as scrypt hashes only', async () => {
    // WAL mode: recent pages may still be in the -wal file.
    const raw = Buffer.concat([fixture.accountsPath, `${fixture.accountsPath}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
    expect(raw.includes(Buffer.from('correct horse'))).toBe(false);
    expect(raw.includes(Buffer.from('scrypt$15$8$1$'))).toBe(true);
  });
});

describe('live events', () => {
  it('a new recording reaches the clients allowed to see it; remote control reaches one player', async () => {
    const supervisor = await openEvents(sue());
    const ann = await openEvents(clients.ann!);
    const bob = await openEvents(clients.bob!);
    await supervisor.next('hello');
    await ann.next('hello');
    await bob.next('hello');
    // Filed through the recordings: their change feed tells the clients that may see it, with no call of ours.
    const g = await fixture.file({ callId: 'call-g', start: utc(2024, 6, 3, 9), internal: '201', external: '0301777' });
    expect(((await supervisor.next('recording')) as { callId: string }).callId).toBe('call-g');
    expect(((await ann.next('recording')) as { callId: string }).callId).toBe('call-g');
    // Files put there unindexed (an older build, a copy by hand): announce indexes it first.
    const h = await fixture.file({ callId: 'call-h', start: utc(2024, 6, 3, 10), internal: '202', external: '0301888' }, { quietly: true });
    expect(fixture.recordings.row(h.name)).toBeUndefined();
    expect(await server.announce(h.name)).toBe(2);
    expect(((await bob.next('recording')) as { callId: string }).callId).toBe('call-h');
    expect(((await supervisor.next('recording')) as { callId: string }).callId).toBe('call-h');

    expect(server.remoteControl({ verb: 'TRAC', player: 'ann', track: `${g.name}.wav` })).toEqual({ delivered: 1, refused: 0 });
    expect(await ann.next('remote')).toMatchObject({ verb: 'TRAC', track: g.name });
    expect(server.remoteControl({ verb: 'TRAC', player: 'ann', track: h.name })).toEqual({ delivered: 0, refused: 1 }); // not ann's call
    expect(server.remoteControl({ verb: 'TRAC', player: 'ann', track: '2024_06_03_1000_00_o_0301888_0_nothing-here.wav' })).toEqual({ delivered: 0, refused: 0, unknownTrack: true });
    expect(server.remoteControl({ verb: 'PAUS', player: 'bob' })).toEqual({ delivered: 1, refused: 0 });
    expect(await bob.next('remote')).toEqual({ verb: 'PAUS' });
    expect(server.remoteControl({ verb: 'STOP', player: 'nobody' })).toEqual({ delivered: 0, refused: 0 });
    expect(() => server.remoteControl({ verb: 'JUMP' as 'STOP', player: 'ann' })).toThrow(/verb/);
    expect(() => server.remoteControl({ verb: 'TRAC', player: 'ann', track: '../etc/passwd' })).toThrow(/track/);
    supervisor.close();
    ann.close();
    bob.close();
  });
});
