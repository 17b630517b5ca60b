import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { generateKeyFile, hasContainerMagic, readKeyring, sidecarPathFor } from '../../../src/platform/crypto/index.js';
import { RecordingStore } from '../../../src/recordings/index.js';
import type { StoredRecording } from '../../../src/recordings/index.js';

let dir: string;
let key: string;
let plainWav: Buffer;
let stored: StoredRecording;

const recorder = runInProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'export-'));
  key = join(dir, 'system.key');
  await generateKeyFile(key);
  const report = await convertCapture('fixtures/calls/alaw-20ms-ethernet-be.pcap', { outDir: join(dir, 'wav') });
  plainWav = readFileSync(report.outputs[0]!.path);
  const input = join(dir, 'input.wav');
  await copyFile(report.outputs[0]!.path, input);
  const store = await RecordingStore.open({ root: join(dir, 'store'), keyring: await readKeyring([key]) });
  stored = await store.file({
    meta: { callId: '0123456789abcdef0123456789abcdef', start: new Date(Date.UTC(2026, 0, 5, 9, 30)), secondsToAnswer: 3, direction: 'in', internal: '24', external: '0301234567' },
    audioPath: input,
    format: 'wav',
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('recorder export', () => {
  it('--decrypt writes checked plain copies of the audio and the call data', async () => {
    expect(hasContainerMagic(readFileSync(stored.audioPath).subarray(0, 8))).toBe(true);
    const out = join(dir, 'plain');
    const run = await recorder(['export', stored.audioPath, '-o', out, '--decrypt', '--key', key, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { results: { integrity: string; files: string[] }[] };
    expect(result.results[0]!.integrity).toBe('intact');
    expect(readdirSync(out).sort()).toEqual([`${stored.name}.wav`, `${stored.name}.xml`]);
    expect(readFileSync(join(out, `${stored.name}.wav`)).equals(plainWav)).toBe(true);
    expect(readFileSync(join(out, `${stored.name}.xml`), 'utf8')).toMatch(/^<\?xml/);
  });

  it('without --decrypt copies the encrypted files as they are', async () => {
    const out = join(dir, 'copy');
    const run = await recorder(['export', stored.audioPath, '-o', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(out, `${stored.name}.wav`)).equals(readFileSync(stored.audioPath))).toBe(true);
  });

  it('refuses a tampered recording (exit 1, nothing written) and --decrypt without a key (exit 2)', async () => {
    const tamperedDir = join(dir, 'tampered');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(tamperedDir);
    const audio = join(tamperedDir, `${stored.name}.wav`);
    const bytes = readFileSync(stored.audioPath);
    bytes[bytes.length - 50] ^= 0x40;
    writeFileSync(audio, bytes);
    await copyFile(stored.xmlPath!, join(tamperedDir, `${stored.name}.xml`));
    const out = join(dir, 'refused');
    const run = await recorder(['export', audio, '-o', out, '--decrypt', '--key', key]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/tampered/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    expect((await recorder(['export', stored.audioPath, '-o', out, '--decrypt'])).code).toBe(2);
  });
});

describe('recorder export refuses what it cannot vouch for (exit 1)', () => {
  it('an encrypted recording with its magic flipped, alone or with its call record; an empty file', async () => {
    const bad = join(dir, 'bad');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(bad, 'alone'), { recursive: true });
    await mkdir(join(bad, 'paired'), { recursive: true });
    const flipped = readFileSync(stored.audioPath);
    flipped[0] ^= 0xff;
    const alone = join(bad, 'alone', basename(stored.audioPath));
    writeFileSync(alone, flipped);
    const paired = join(bad, 'paired', basename(stored.audioPath));
    writeFileSync(paired, flipped);
    const sidecar = [sidecarPathFor(stored.audioPath), `${sidecarPathFor(stored.audioPath)}.enc`].find((p) => existsSync(p))!;
    await copyFile(sidecar, join(bad, 'paired', basename(sidecar)));
    const empty = join(bad, 'empty.wav.enc');
    writeFileSync(empty, new Uint8Array(0));
    for (const [input, reason] of [
      [alone, /cannot be verified \(not encrypted and no signed sidecar\); not exported/],
      [paired, /tampered/],
      [empty, /empty file \(0 bytes\)/],
    ] as const) {
      const out = join(bad, `out-${Math.random().toString(36).slice(2)}`);
      const run = await recorder(['export', input, '-o', out, '--decrypt', '--key', key]);
      expect(run.code, `${input}: ${run.stdout}`).toBe(1);
      expect(run.stderr).toMatch(reason);
      expect(readdirSync(out)).toEqual([]);
    }
  });
});
