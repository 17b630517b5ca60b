// Opus recordings through the player API on an encrypted store: served as Ogg Opus with ranges, their waveform
// decoded in the process (compared with libopus's decoding in waveform.test.ts), found by format, exported, verified.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptBytes } from '../../src/platform/crypto/index.js';
import type { PlayerServer } from '../../src/player/index.js';
import type { FiledRecording } from '../../src/recordings/index.js';
import { readFileSync } from 'node:fs';
import { Client, type Fixture, makeFixture, recPath, startServer } from './helpers.js';

let fixture: Fixture;
let server: PlayerServer;
let sue: Client;
let opus: FiledRecording;

beforeAll(async () => {
  fixture = await makeFixture({ encrypted: true });
  opus = await fixture.file({ callId: 'call-o', start: new Date(Date.UTC(2024, 4, 3, 9)), internal: '201', external: '0301234567', seconds: 6, format: 'opus' });
  await fixture.file({ callId: 'call-w', start: new Date(Date.UTC(2024, 4, 3, 10)), internal: '201', external: '0301234568', seconds: 3 });
  let url: string;
  ({ server, url } = await startServer(fixture));
  sue = new Client(url);
  expect((await sue.login('sue')).status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

describe('Opus recordings in the player', () => {
  it('are served as Ogg Opus, by ranges, decrypted; found by the format filter', async () => {
    const plain = Buffer.from(decryptBytes(readFileSync(opus.audioPath), fixture.keyring!));
    expect(plain.subarray(0, 4).toString('latin1')).toBe('OggS');
    const part = await sue.fetch(recPath(opus.name, 'audio'), { headers: { Range: 'bytes=100-1099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-type')).toBe('audio/ogg; codecs=opus');
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${plain.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(plain.subarray(100, 1100))).toBe(true);
    const rows = (await sue.json<{ rows: Array<{ callId: string; format: string }> }>('/api/recordings?format=opus')).rows;
    expect(rows.map((r) => [r.callId, r.format])).toEqual([['call-o', 'opus']]);
    expect((await sue.fetch('/api/recordings?format=ogg')).status).toBe(400);
  });

  it('its waveform is decoded in the process: both parties, the whole length', async () => {
    const wave = await sue.json<{ channels: number; sampleRate: number; durationMs: number; max: number[][] }>(recPath(opus.name, 'waveform'));
    expect(wave).toMatchObject({ channels: 2, sampleRate: 8000, durationMs: 6000 });
    for (const c of [0, 1]) expect(Math.max(...wave.max[c]!), `channel ${c}`).toBeGreaterThan(10);
  });

  it('export zips the .opus as it is stored (not compressed again); verify reads it', async () => {
    const zip = await sue.fetch(`/api/export?name=${encodeURIComponent(opus.name)}`);
    expect(zip.status).toBe(200);
    const zipPath = join(fixture.dir, 'export.zip');
    writeFileSync(zipPath, Buffer.from(await zip.arrayBuffer()));
    const listing = execFileSync('unzip', ['-v', zipPath], { encoding: 'utf8' });
    expect(listing).toMatch(new RegExp(`Stored .*${opus.name}\\.opus`));
    expect(execFileSync('unzip', ['-p', zipPath, `${opus.name}.opus`]).equals(Buffer.from(decryptBytes(readFileSync(opus.audioPath), fixture.keyring!)))).toBe(true);
    const verified = await sue.json<{ integrity: string }>(recPath(opus.name, 'verify'), { method: 'POST' });
    expect(verified.integrity).toBe('intact');
  });
});
