// Phones in their own recording modes (the reference, "Manual/Transparent/Optional recording"), end to end:
// `RecorderService` against the embedded PBX. A phone records only while its user has recording on, so the
// recording holds exactly that: from the switch-on, silent where it was switched off, nothing for a call never
// switched on. A phone whose recording function calls the TCR object marks its calls for thread-call recording:
// every call in transparent mode, the calls switched on in manual mode.
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { PbxDirectory, PbxUser, ScenarioCall } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import { readWav } from '../embedded/captures/fixtures.js';
import { rmsLevel } from '../helpers/levels.js';
import { callIdOfCapture, connectCdrInterface, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const FINISHED = ['source-deleted', 'discarded', 'quarantined'];
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function directoryWith(changes: Record<string, Partial<PbxUser>>): PbxDirectory {
  const directory = defaultDirectory();
  return { ...directory, users: directory.users.map((user) => (changes[user.number] ? { ...user, ...changes[user.number] } : user)) };
}

/** Run `calls` (one every 15 simulated seconds) through a service in `mode`; the PBX and the store when all is decided. */
async function runThrough(prefix: string, directory: PbxDirectory, calls: ReadonlyArray<Omit<ScenarioCall, 'at'>>, mode: 'std' | 'tcr') {
  const base = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(base);
  const scenario = { seed: 12, calls: calls.map((call, i) => ({ ringSeconds: 1, ...call, at: 1 + i * 15 })) };
  const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'drive'), speed: 10, captureFlushMs: 50 });
  const endpoints = await pbx.start();
  const input = {
    ...serviceConfigInput(base, endpoints, { cdrInterface: true }),
    recording: { format: 'wav', encoding: 'pcm16', mode },
    ...(mode === 'tcr' ? { tcr: { number: endpoints.tcrNumber!, markWindowSeconds: 3 } } : {}),
  };
  const config = validateConfig(input, 'e2e-config', base);
  const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
  await service.start();
  connectCdrInterface(pbx, service);
  try {
    const result = await pbx.run();
    expect(result.failures).toEqual([]);
    const captures = pbx.calls.flatMap((call) => call.captures);
    await until(
      async () => {
        if (readdirSync(endpoints.recDir).length > 0 || service.status().pending > 0) return false;
        const items = [...(await readJournal(config.storage.journalPath)).items.values()];
        return items.length >= captures.length && items.every((item) => FINISHED.includes(item.state));
      },
      90_000,
      'every capture decided',
      200,
    );
    return { calls: pbx.calls, store: scanStore(config.storage.root), journal: (await readJournal(config.storage.journalPath)).items };
  } finally {
    await service.stop();
    await pbx.stop();
  }
}

/** Loudness (dBFS, both channels) of each half second of a WAV. */
function halfSeconds(path: string): number[] {
  const { sampleRate, channels } = readWav(path);
  const step = sampleRate / 2;
  const levels: number[] = [];
  for (let at = 0; at + step <= channels[0]!.length; at += step) levels.push(Math.max(...channels.map((channel) => rmsLevel(channel.subarray(at, at + step)))));
  return levels;
}

describe('phones recording in manual, optional and transparent mode', () => {
  it('files what each phone recorded: from the switch-on, silent while switched off, nothing never switched on', { timeout: 150_000 }, async () => {
    const directory = directoryWith({
      '20': { captureSide: 'phone', phoneRecording: { mode: 'manual' } },
      '21': { captureSide: 'phone', phoneRecording: { mode: 'optional' } },
      '22': { captureSide: 'phone', phoneRecording: { mode: 'transparent' } },
    });
    const { calls, store, journal } = await runThrough('service-phone-modes-', directory, [
      // Manual, never switched on: the phone writes nothing.
      { kind: 'inbound', from: E, to: '20', talkSeconds: 6 },
      // Manual: on 2 s after the answer, off at 5 s, on again at 8 s until the end at 12 s.
      { kind: 'inbound', from: E, to: '20', talkSeconds: 12, recordKey: [2, 5, 8] },
      // Optional: on from the answer until the key at 4 s.
      { kind: 'outbound', from: '21', to: E, talkSeconds: 10, recordKey: [4] },
      // Transparent: the whole call.
      { kind: 'inbound', from: E, to: '22', talkSeconds: 6 },
    ], 'std');
    expect(calls[0]!.captures).toEqual([]);
    const filed = (i: number): string => {
      const capture = calls[i]!.captures[0]!;
      const files = store.audio.get(callIdOfCapture(capture.fileName));
      expect(files, `call ${i + 1}: ${JSON.stringify(journal.get(capture.fileName)?.data ?? 'not in the journal')}`.slice(0, 400)).toHaveLength(1);
      return files![0]!;
    };
    expect(store.audio.size).toBe(3);
    expect(store.quarantined).toEqual([]);

    // 10 s recorded (2..12 s after the answer): sound, then 3 s of silence (5..8 s), then sound again.
    const manual = halfSeconds(filed(1));
    expect(manual).toHaveLength(20);
    const loud = (levels: number[]): boolean => levels.every((dB) => dB > -40);
    const silent = (levels: number[]): boolean => levels.every((dB) => dB < -90);
    // (The far party's packets trail the phone's by a few ms: the first half second off holds their last few ms.)
    expect({ before: loud(manual.slice(0, 6)), off: manual[6]! < -40 && silent(manual.slice(7, 12)), after: loud(manual.slice(12, 20)) }, manual.map((dB) => dB.toFixed(0)).join(' ')).toEqual({
      before: true,
      off: true,
      after: true,
    });
    // Optional, switched off at 4 s: 4 s of sound, nothing of the 6 s after.
    const optional = halfSeconds(filed(2));
    expect(optional).toHaveLength(8);
    expect(loud(optional)).toBe(true);
    // Transparent: all 6 s.
    const transparent = halfSeconds(filed(3));
    expect(transparent).toHaveLength(12);
    expect(loud(transparent)).toBe(true);
  });

  it('in thread-call recording, a phone that calls the TCR object keeps its calls: every call in transparent mode, the switched-on ones in manual', { timeout: 150_000 }, async () => {
    const directory = directoryWith({
      '23': { phoneRecording: { mode: 'transparent', marksTcr: true } },
      '24': { phoneRecording: { mode: 'manual', marksTcr: true } },
    });
    const cases = [
      { call: { kind: 'inbound', from: E, to: '23', talkSeconds: 5 }, kept: true, why: 'transparent: every call marked' },
      { call: { kind: 'inbound', from: E, to: '24', talkSeconds: 5 }, kept: false, why: 'manual, never switched on: not marked' },
      { call: { kind: 'inbound', from: E, to: '24', talkSeconds: 6, recordKey: [3] }, kept: true, why: 'manual, switched on at 3 s: marked, kept whole' },
      { call: { kind: 'inbound', from: E, to: '25', talkSeconds: 5 }, kept: false, why: 'a phone without the TCR call: not marked' },
    ] as const;
    const { calls, store } = await runThrough('service-phone-tcr-', directory, cases.map((c) => c.call), 'tcr');
    expect(calls.map((call) => call.markedByPhone === true)).toEqual([true, false, true, false]);
    const want = calls.filter((_, i) => cases[i]!.kept).map((call) => call.confId).sort();
    expect([...store.audio.keys()].sort(), cases.map((c, i) => `${calls[i]!.confId}: ${c.why}`).join('\n')).toEqual(want);
    // Kept whole, from the answer: the gateway recorded the call; the phone's key only marked it.
    const [whole] = store.audio.get(calls[2]!.confId)!;
    expect(halfSeconds(whole!)).toHaveLength(12);
  });
});
