/**
 * Capture files as the embedded gateway writes them, checked with tshark and
 * with our own converter: streams, payload types and durations; which channel
 * holds whom for gateway and phone captures; hold gaps; impairments; a file
 * that grows while the call runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { CaptureWriteError, captureFrames, planCapture, recordCapture } from '../../../src/embedded/captures/index.js';
import { rmsLevel, toneLevel } from '../../helpers/levels.js';
import type { CapturePlan } from '../../../src/embedded/captures/index.js';
import type { CaptureSpec, PlannedCall, SimCodec } from '../../../src/embedded/model.js';
import { readCapture } from '../../../src/media/pcap/index.js';
import { tsharkRtpStreams } from '../../helpers/tshark.js';
import { ANNA, CALLER, SETUP_TIME, captureSpec, plannedCall, readWav } from './fixtures.js';
import { AcceleratedClock } from '../../../src/embedded/run/index.js';
import { ManualClock } from '../../../src/embedded/run/clock.js';

const work = mkdtempSync(join(tmpdir(), 'recorder-embedded-captures-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirCount = 0;
function freshDir(): string {
  const dir = join(work, `d${++dirCount}`);
  return mkdtempSync(dir);
}

/** Capture times (epoch s) of each SSRC's packets, as tshark reads them. */
function tsharkTimes(file: string): Map<number, number[]> {
  const text = execFileSync('tshark', ['--enable-heuristic', 'rtp_udp', '-r', file, '-Y', 'rtp', '-T', 'fields', '-e', 'rtp.ssrc', '-e', 'frame.time_epoch'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const times = new Map<number, number[]>();
  for (const line of text.split('\n')) {
    const [ssrc, time] = line.split('\t');
    if (!ssrc || !time) continue;
    const key = Number.parseInt(ssrc, 16);
    times.set(key, [...(times.get(key) ?? []), Number(time)]);
  }
  return times;
}

const TSHARK_PAYLOAD: Record<SimCodec, string> = { pcma: 'g711A', pcmu: 'g711U', g722: 'g722', g729: 'g729' };

/** Write a whole capture at once: the clock already stands after the call. */
async function writeNow(spec: CaptureSpec, recDir = freshDir()): Promise<{ path: string; call: PlannedCall; plan: CapturePlan; stats: Awaited<ReturnType<typeof recordCapture>>['stats'] }> {
  const call = plannedCall([spec]);
  const clock = new ManualClock(SETUP_TIME + spec.end + 60_000);
  const result = await recordCapture({ call, spec, recDir, clock, flushIntervalMs: 0 });
  expect(statSync(result.path).size).toBe(result.bytes);
  return { path: result.path, call, plan: planCapture(call, spec), stats: result.stats };
}

async function convert(path: string, recordedBy: 'gateway' | 'phone') {
  const report = await convertCapture(path, { outDir: join(path + '.out'), channels: { recordedBy }, durable: false });
  expect(report.error).toBeUndefined();
  expect(report.ok).toBe(true);
  expect(report.outputs).toHaveLength(1);
  const output = report.outputs[0]!;
  return { report, output, wav: readWav(output.path) };
}

describe('capture files of the embedded gateway', () => {
  for (const codec of ['pcma', 'pcmu', 'g722', 'g729'] as const) {
    for (const side of ['gateway', 'phone'] as const) {
      it(`${codec}, ${side} capture: tshark sees both streams, and the converter puts the external party left, the internal right`, async () => {
        const packetMs = codec === 'g729' ? 30 : 20;
        const spec = captureSpec({ codec, side, packetMs, start: 1000, end: 4000, segments: [{ from: 1000, to: 4000, internal: ANNA, external: CALLER }] });
        const { path, plan } = await writeNow(spec);
        const expectedPackets = 3000 / packetMs;

        const streams = tsharkRtpStreams(path);
        expect(streams).toHaveLength(2);
        for (const flow of plan.flows) {
          const row = streams.find((s) => s.src === flow.src && s.srcPort === flow.srcPort && s.dst === flow.dst && s.dstPort === flow.dstPort);
          expect(row, `${flow.src} → ${flow.dst}`).toBeDefined();
          expect(row!.ssrc).toBe(flow.ssrc);
          expect(row!.payload).toBe(TSHARK_PAYLOAD[codec]);
          expect(row!.packets).toBe(expectedPackets);
          expect(row!.lost).toBe(0);
        }
        expect(expectedPackets * packetMs).toBe(spec.end - spec.start);
        // Real packet timing: one packet per ptime, from the capture's start on the call's clock.
        const timesBySsrc = tsharkTimes(path);
        for (const flow of plan.flows) {
          const times = timesBySsrc.get(flow.ssrc) ?? [];
          expect(times).toHaveLength(expectedPackets);
          expect(times[0]!).toBeCloseTo((SETUP_TIME + spec.start + flow.offsetMs) / 1000, 5);
          expect(times.at(-1)! - times[0]!).toBeCloseTo(((expectedPackets - 1) * packetMs) / 1000, 5);
        }

        const { output, wav } = await convert(path, side);
        expect(output.channels).toBe(2);
        expect(output.sampleRate).toBe(codec === 'g722' ? 16000 : 8000);
        expect(output.durationSeconds).toBeGreaterThanOrEqual(3);
        expect(output.durationSeconds).toBeLessThan(3.02);
        const segment = plan.segments[0]!;
        const [left, right] = wav.channels as [Int16Array, Int16Array];
        const external = segment.external.toneHz;
        const internal = segment.internal.toneHz;
        expect(external).not.toBe(internal);
        const leftExternal = toneLevel(left, wav.sampleRate, external);
        const rightInternal = toneLevel(right, wav.sampleRate, internal);
        expect(leftExternal).toBeGreaterThan(-30);
        expect(rightInternal).toBeGreaterThan(-30);
        expect(toneLevel(left, wav.sampleRate, internal)).toBeLessThan(leftExternal - 20);
        expect(toneLevel(right, wav.sampleRate, external)).toBeLessThan(rightInternal - 20);
      });
    }
  }

  for (const codec of ['pcma', 'g722', 'g729'] as const) {
    it(`${codec}: a hold gap is silence of the gap's length between two stretches of talk`, async () => {
      const spec = captureSpec({
        codec,
        side: 'gateway',
        start: 1000,
        end: 7000,
        segments: [
          { from: 1000, to: 3000, internal: ANNA, external: CALLER },
          { from: 5000, to: 7000, internal: ANNA, external: CALLER },
        ],
      });
      const { path, plan } = await writeNow(spec);
      const { output, wav } = await convert(path, 'gateway');
      expect(output.lost).toBe(0);
      // 2 s talk, 2 s hold, 2 s talk: the recording keeps real time.
      expect(output.durationSeconds).toBeGreaterThanOrEqual(6);
      expect(output.durationSeconds).toBeLessThan(6.02);
      const rate = wav.sampleRate;
      const stretch = (channel: Int16Array, from: number, to: number) => channel.subarray(Math.round(from * rate), Math.round(to * rate));
      const tones = [plan.segments[0]!.external.toneHz, plan.segments[0]!.internal.toneHz];
      wav.channels.forEach((channel, c) => {
        const talk1 = stretch(channel, 0.05, 1.95);
        const hold = stretch(channel, 2.05, 3.95);
        const talk2 = stretch(channel, 4.05, 5.95);
        expect(rmsLevel(talk1)).toBeGreaterThan(-25);
        expect(rmsLevel(talk2)).toBeGreaterThan(-25);
        const own = tones[c]!;
        if (codec === 'g729') {
          // The converter fills a G.729 gap with comfort noise: no voice, well below the talk.
          expect(rmsLevel(hold)).toBeLessThan(rmsLevel(talk1) - 15);
          expect(toneLevel(hold, rate, own)).toBeLessThan(toneLevel(talk1, rate, own) - 30);
        } else {
          expect(rmsLevel(hold)).toBeLessThan(-80);
        }
        if (codec === 'g729') return;
        // Silence starts where the first stretch ends (2.0 s ± a packet and the peer's few ms).
        const edge = stretch(channel, 1.9, 2.1);
        let lastLoud = 0;
        for (let i = 0; i < edge.length; i++) if (Math.abs(edge[i]!) > 200) lastLoud = i;
        expect(1.9 + lastLoud / rate).toBeLessThan(2.015);
      });
    });
  }

  it('impairments: seeded loss, duplicates and reordering as requested, and the converter reports them', async () => {
    const impairments = { loss: 0.05, duplicate: 0.02, reorder: 0.02, jitterMs: 10 };
    const spec = captureSpec({ codec: 'pcma', side: 'gateway', start: 0, end: 12000, segments: [{ from: 0, to: 12000, internal: ANNA, external: CALLER }], impairments });
    const { path, plan, stats } = await writeNow(spec);
    const { output, wav } = await convert(path, 'gateway');
    const tshark = tsharkRtpStreams(path);
    for (let flow = 0; flow < 2; flow++) {
      expect(stats.sent[flow]).toBe(600);
      const lossRate = stats.lost[flow]! / stats.sent[flow]!;
      expect(Math.abs(lossRate - impairments.loss)).toBeLessThan(0.03);
      expect(stats.duplicated[flow]!).toBeGreaterThan(3);
      expect(stats.reordered[flow]!).toBeGreaterThan(3);
      const f = plan.flows[flow]!;
      const report = output.streams.find((s) => s.from === `${f.src}:${f.srcPort}`)!;
      expect(report.lost).toBe(stats.lost[flow]);
      expect(report.duplicates).toBe(stats.duplicated[flow]);
      expect(report.packets).toBe(600 - stats.lost[flow]! + stats.duplicated[flow]!); // received, copies included
      const row = tshark.find((s) => s.ssrc === f.ssrc)!;
      // tshark: expected minus received, duplicates included.
      expect(row.packets).toBe(600 - stats.lost[flow]! + stats.duplicated[flow]!);
      expect(row.lost).toBe(stats.lost[flow]! - stats.duplicated[flow]!);
    }
    expect(output.lost).toBe(stats.lost[0]! + stats.lost[1]!);
    // The parties are still where they belong.
    const segment = plan.segments[0]!;
    const [left, right] = wav.channels as [Int16Array, Int16Array];
    expect(toneLevel(left, wav.sampleRate, segment.internal.toneHz)).toBeLessThan(toneLevel(left, wav.sampleRate, segment.external.toneHz) - 20);
    expect(toneLevel(right, wav.sampleRate, segment.external.toneHz)).toBeLessThan(toneLevel(right, wav.sampleRate, segment.internal.toneHz) - 20);
  });

  it('creates the file when the first packet is due and grows it as simulated time passes (exact sizes on a manual clock)', async () => {
    const spec = captureSpec({ codec: 'g722', side: 'phone', start: 1000, end: 6000, segments: [{ from: 1000, to: 6000, internal: ANNA, external: CALLER }], impairments: { jitterMs: 5 } });
    const call = plannedCall([spec]);
    // Bytes in the file once everything captured by `atMs` is written.
    const sizeAt = (atMs: number): number => {
      let bytes = 24;
      for (const frame of captureFrames(call, spec)) if (frame.atMs <= atMs) bytes += 16 + frame.data.length;
      return bytes;
    };
    const recDir = freshDir();
    const path = join(recDir, spec.fileName);
    const clock = new ManualClock(SETUP_TIME);
    const done = recordCapture({ call, spec, recDir, clock, flushIntervalMs: 0 });
    const waitForSize = async (bytes: number): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        if (existsSync(path) && statSync(path).size === bytes) return;
        await delay(10);
      }
      throw new Error(`${path} never reached ${bytes} bytes (has ${existsSync(path) ? statSync(path).size : 'no file'})`);
    };
    clock.jumpTo(SETUP_TIME + 999);
    await delay(50);
    expect(existsSync(path)).toBe(false);
    const sizes: number[] = [];
    for (const at of [1000, 2500, 4000]) {
      clock.jumpTo(SETUP_TIME + at);
      await waitForSize(sizeAt(at));
      await delay(20);
      sizes.push(statSync(path).size);
    }
    expect(sizes[0]).toBeGreaterThan(24);
    expect(sizes[1]).toBeGreaterThan(sizes[0]!);
    expect(sizes[2]).toBeGreaterThan(sizes[1]!);
    expect(sizes).toEqual([sizeAt(1000), sizeAt(2500), sizeAt(4000)]);
    // A reader can take the growing file as it is.
    const partial = await readCapture(path, () => undefined);
    expect(partial.frames).toBeGreaterThan(0);
    clock.jumpTo(SETUP_TIME + 7000);
    const result = await done;
    expect(result.bytes).toBe(sizeAt(Number.POSITIVE_INFINITY));
    expect(statSync(path).size).toBe(result.bytes);
    expect(result.packets).toBe(500);
  });

  it('grows visibly on a fast real-time clock with the default batching', async () => {
    const spec = captureSpec({ codec: 'pcmu', side: 'gateway', start: 0, end: 8000, segments: [{ from: 0, to: 8000, internal: ANNA, external: CALLER }] });
    const call = plannedCall([spec]);
    const recDir = freshDir();
    const path = join(recDir, spec.fileName);
    const clock = new AcceleratedClock({ speed: 5, start: SETUP_TIME }); // 8 s of call in 1.6 s
    let finished = false;
    const done = recordCapture({ call, spec, recDir, clock }).finally(() => {
      finished = true;
    });
    const seen = new Set<number>();
    while (!finished) {
      if (existsSync(path)) seen.add(statSync(path).size);
      await delay(15);
    }
    const result = await done;
    seen.delete(result.bytes);
    seen.delete(24);
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(result.packets).toBe(800);
  });

  it('on abort: closes what was written (a readable capture) and rejects with the reason', async () => {
    const spec = captureSpec({ codec: 'pcma', side: 'gateway', start: 0, end: 60_000, segments: [{ from: 0, to: 60_000, internal: ANNA, external: CALLER }] });
    const call = plannedCall([spec]);
    const recDir = freshDir();
    const clock = new ManualClock(SETUP_TIME + 3000);
    const controller = new AbortController();
    const done = recordCapture({ call, spec, recDir, clock, signal: controller.signal, flushIntervalMs: 0 });
    const path = join(recDir, spec.fileName);
    for (let i = 0; i < 500 && !(existsSync(path) && statSync(path).size > 24); i++) await delay(10);
    const reason = new Error('call torn down');
    controller.abort(reason);
    await expect(done).rejects.toBe(reason);
    const size = statSync(path).size;
    expect((size - 24) % (16 + 14 + 20 + 8 + 12 + 160)).toBe(0);
    const stats = await readCapture(path, () => undefined);
    expect(stats.frames).toBeGreaterThanOrEqual(300);
    expect(stats.frames).toBeLessThan(6000);
  });

  it('names the file it cannot create', async () => {
    const spec = captureSpec({ codec: 'pcma', side: 'gateway' });
    const missing = join(work, 'no-such-dir');
    const clock = new ManualClock(SETUP_TIME + 10_000);
    const error = await recordCapture({ call: plannedCall([spec]), spec, recDir: missing, clock }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaptureWriteError);
    expect((error as CaptureWriteError).path).toBe(join(missing, spec.fileName));
  });
});
