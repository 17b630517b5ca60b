import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RtpDemuxer, groupCalls, renderCall } from '../../../src/media/calls/index.js';
import type { Call } from '../../../src/media/calls/index.js';
import { buildLeg, mergeLegs, toneSignal } from '../../../src/embedded/index.js';
import type { LegImpairments, LegSpec } from '../../../src/embedded/index.js';
import { countDifferences } from '../../helpers/tools.js';

const work = mkdtempSync(join(tmpdir(), 'recorder-timeline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GATEWAY = { address: '10.0.0.1', port: 40000 };
const PHONE = { address: '10.0.0.20', port: 50000 };
const T0 = 1_700_000_000;

interface Scenario {
  packetMs?: number;
  seconds?: number;
  external?: Partial<LegSpec> & { impairments?: LegImpairments };
  internal?: Partial<LegSpec> & { impairments?: LegImpairments };
  /** Internal leg starts this much later (s). */
  internalDelay?: number;
  /** The capture clock runs this many times too fast (a damaged timestamp resolution). */
  captureClockScale?: number;
}

/** Build a two-party call, run it through demux → calls → WAV, return channels and expectations. */
function runCall(scenario: Scenario) {
  const packetMs = scenario.packetMs ?? 20;
  const seconds = scenario.seconds ?? 2;
  const samples = seconds * 8000;
  const external = buildLeg({
    from: GATEWAY,
    to: PHONE,
    codec: 'pcma',
    pcm: toneSignal(samples, 8000, 440, 1250),
    packetMs,
    startTime: T0,
    ssrc: 0x11111111,
    sequence: 65500, // wraps during the call
    timestamp: 4294960000, // wraps too
    ...scenario.external,
  });
  const internal = buildLeg({
    from: PHONE,
    to: GATEWAY,
    codec: 'pcmu',
    pcm: toneSignal(samples, 8000, 300, 2100, 6000),
    packetMs,
    startTime: T0 + (scenario.internalDelay ?? 0),
    ssrc: 0x22222222,
    sequence: 1000,
    timestamp: 123456,
    ...scenario.internal,
  });
  const demux = new RtpDemuxer();
  const scale = scenario.captureClockScale ?? 1;
  for (const datagram of mergeLegs(external, internal)) demux.push(scale === 1 ? datagram : { ...datagram, time: T0 + (datagram.time - T0) * scale });
  const streams = demux.finish();
  const calls = groupCalls(streams, undefined, { recordedBy: 'gateway', deviceAddress: GATEWAY.address });
  const path = join(work, `call-${Math.random().toString(36).slice(2)}.wav`);
  const rendered = renderCall(calls[0]!, { path, encoding: 'pcm16', mix: 'stereo' });
  const wav = readFileSync(path);
  const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
  const left = new Int16Array(pcm.length / 2);
  const right = new Int16Array(pcm.length / 2);
  for (let i = 0; i < left.length; i++) {
    left[i] = pcm[2 * i]!;
    right[i] = pcm[2 * i + 1]!;
  }
  return { calls, call: calls[0]!, rendered, left, right, external, internal, streams };
}

function expectChannel(actual: Int16Array, expected: Int16Array, offset = 0): void {
  const slice = actual.subarray(offset, offset + expected.length);
  const diff = countDifferences(slice, expected);
  expect(diff.differing, `first difference at sample ${diff.first}`).toBe(0);
  // Nothing but silence outside the leg's span.
  for (let i = 0; i < offset; i++) if (actual[i] !== 0) expect.fail(`sample ${i} before the leg starts is ${actual[i]}`);
  for (let i = offset + expected.length; i < actual.length; i++) if (actual[i] !== 0) expect.fail(`sample ${i} after the leg ends is ${actual[i]}`);
}

function stat(call: Call, side: 'external' | 'internal') {
  return call[side][0]!.stats;
}

describe('call timeline', () => {
  it('a clean call: external left, internal right, sample-exact, sequence and timestamp wrap-around', () => {
    const r = runCall({});
    expect(r.calls).toHaveLength(1);
    expect(r.rendered.channels).toBe(2);
    expectChannel(r.left, r.external.expected);
    expectChannel(r.right, r.internal.expected);
    expect(stat(r.call, 'external')).toMatchObject({ packets: 100, lost: 0, duplicates: 0, late: 0 });
  });

  for (const packetMs of [10, 20, 30, 40]) {
    it(`${packetMs} ms packets`, () => {
      const r = runCall({ packetMs, seconds: 1.2 });
      expectChannel(r.left, r.external.expected);
      expectChannel(r.right, r.internal.expected);
    });
  }

  it('loss becomes silence of the right length, counted', () => {
    const r = runCall({ external: { impairments: { lose: [5, 17, 18, 19, 60] } }, internal: { impairments: { lose: [0, 99] } } });
    expectChannel(r.left, r.external.expected);
    // The internal leg's first packet is lost: its audio starts one packet later, in the right place.
    expectChannel(r.right, r.internal.expected.subarray(160, 99 * 160), 160);
    expect(stat(r.call, 'external').lost).toBe(5);
    expect(stat(r.call, 'internal').lost).toBe(0); // first and last packets missing leave no gap to see
  });

  it('reordered and duplicated packets are put back in order once', () => {
    const r = runCall({ external: { impairments: { delay: [[10, 3], [40, 1], [41, 5]], duplicate: [3, 50, 51] } } });
    expectChannel(r.left, r.external.expected);
    expect(stat(r.call, 'external')).toMatchObject({ packets: 103, duplicates: 3, lost: 0, late: 0 });
    // Packets 10 and 41 arrive after later ones; packet 40, delayed by one interval, still arrives before 42.
    expect(stat(r.call, 'external').reordered).toBe(2);
  });

  it('an SSRC change mid-call does not shift the audio', () => {
    const r = runCall({ external: { impairments: { ssrcChangeAt: { index: 37, ssrc: 0xabcdef01, sequence: 7, timestamp: 99 } } } });
    expectChannel(r.left, r.external.expected);
    expect(stat(r.call, 'external').ssrcs).toEqual([0x11111111, 0xabcdef01]);
  });

  it('a timestamp jump against capture time does not shift the audio', () => {
    const r = runCall({ external: { impairments: { timestampJumpAt: { index: 50, delta: 8_000_000 } } }, internal: { impairments: { timestampJumpAt: { index: 20, delta: -40_000 } } } });
    expectChannel(r.left, r.external.expected);
    expectChannel(r.right, r.internal.expected);
    expect(stat(r.call, 'external').timestampJumps).toBe(1);
    expect(stat(r.call, 'internal').timestampJumps).toBe(1);
  });

  it('a capture clock running 30 times too fast stretches nothing: DTMF, loss and pauses are measured by the RTP timestamps (fuzz seed 471508: 446 s from 16.4 s)', () => {
    const r = runCall({
      seconds: 6,
      captureClockScale: 30,
      external: { dtmf: [{ event: 5, fromPacket: 60, packets: 15 }], impairments: { lose: [120, 121, 200] } },
      internal: { comfortNoise: [30, 31, 32, 33], impairments: { lose: [250] } },
    });
    expectChannel(r.left, r.external.expected);
    expectChannel(r.right, r.internal.expected);
    expect(r.left.length).toBe(6 * 8000);
    expect(stat(r.call, 'external').clockRunaways).toBeGreaterThan(0);
    expect(stat(r.call, 'external').timestampJumps).toBe(0);
  });

  it('a delay spike of 1.5 s and the burst after it leave the audio where the RTP timestamps put it', () => {
    // Packets 200…274 held up in the network and delivered together with 275.
    const spike = Array.from({ length: 75 }, (_, i) => [200 + i, 75 - i] as const);
    const r = runCall({ seconds: 8, external: { impairments: { delay: spike } } });
    expectChannel(r.left, r.external.expected);
    expectChannel(r.right, r.internal.expected);
  });

  it('a leg that starts later sits at its capture time; channels stay aligned under jitter', () => {
    const r = runCall({ internalDelay: 0.5, external: { impairments: { jitterMs: 15, seed: 7 } }, internal: { impairments: { jitterMs: 15, seed: 9 } } });
    expectChannel(r.left, r.external.expected);
    expectChannel(r.right, r.internal.expected, 4000);
  });

  it('DTMF events are kept once per press and their packets leave silence; comfort noise packets too', () => {
    const r = runCall({
      external: { dtmf: [{ event: 1, fromPacket: 20, packets: 6 }, { event: 11, fromPacket: 40, packets: 4 }], comfortNoise: [70, 71, 72] },
    });
    expectChannel(r.left, r.external.expected);
    const stream = r.call.external[0]!;
    expect(stream.dtmf.map((d) => d.digit).join('')).toBe('1#');
    expect(stream.dtmf[0]!.position - stream.startPosition).toBe(20 * 160);
    expect(stream.dtmf[0]!.durationMs).toBe(120);
    expect(stream.stats).toMatchObject({ telephoneEvents: 10, comfortNoise: 3, lost: 0 });
  });

  it('recorded by the phone: the device-sent stream is the internal party', () => {
    const external = buildLeg({ from: GATEWAY, to: PHONE, codec: 'pcma', pcm: toneSignal(8000, 8000, 440, 900), packetMs: 20, startTime: T0, ssrc: 1, sequence: 1, timestamp: 1 });
    const internal = buildLeg({ from: PHONE, to: GATEWAY, codec: 'pcma', pcm: toneSignal(8000, 8000, 700, 1900), packetMs: 20, startTime: T0, ssrc: 2, sequence: 1, timestamp: 1 });
    const demux = new RtpDemuxer();
    for (const d of mergeLegs(external, internal)) demux.push(d);
    const calls = groupCalls(demux.finish(), undefined, { recordedBy: 'phone', deviceAddress: PHONE.address });
    expect(calls[0]!.external[0]!.from).toEqual(GATEWAY);
    expect(calls[0]!.internal[0]!.from).toEqual(PHONE);
  });

  it('several calls in one capture become several calls', () => {
    const legs = [0, 1, 2].flatMap((n) => [
      buildLeg({ from: { address: '10.0.0.1', port: 40000 + 2 * n }, to: { address: `10.0.0.${30 + n}`, port: 5004 }, codec: 'pcma', pcm: toneSignal(4000, 8000, 400 + n * 100, 1000), packetMs: 20, startTime: T0 + n, ssrc: 10 + n, sequence: 1, timestamp: 1 }),
      buildLeg({ from: { address: `10.0.0.${30 + n}`, port: 5004 }, to: { address: '10.0.0.1', port: 40000 + 2 * n }, codec: 'pcma', pcm: toneSignal(4000, 8000, 600 + n * 100, 1700), packetMs: 20, startTime: T0 + n, ssrc: 20 + n, sequence: 1, timestamp: 1 }),
    ]);
    const demux = new RtpDemuxer();
    for (const d of mergeLegs(...legs)) demux.push(d);
    const calls = groupCalls(demux.finish(), undefined);
    expect(calls).toHaveLength(3);
    // The gateway is common to every stream, so it is taken for the recording device: its streams are external.
    for (const call of calls) expect(call.external[0]!.from.address).toBe('10.0.0.1');
  });

  it('a first packet with a late capture time followed by one with a damaged timestamp opens no gap (fuzz seed 6155: 58,720 s from 0.2 s)', () => {
    // Five A-law packets of one stream as the damaged capture held them: the first arrived "2.8 s late", the
    // second's timestamp is 58,720 s ahead, the fourth arrived "4.8 s late". Before, the first was put just
    // before the second, and everything after followed it there.
    const demux = new RtpDemuxer();
    const packets = [
      { time: 906.513, seq: 25924, ts: 4090459982 },
      { time: 903.69, seq: 25927, ts: 265255214 },
      { time: 903.73, seq: 25929, ts: 4090460782 },
      { time: 908.554, seq: 25931, ts: 4090461102 },
      { time: 903.79, seq: 25932, ts: 4090461262 },
    ];
    for (const p of packets) {
      const rtp = new Uint8Array(172);
      const view = new DataView(rtp.buffer);
      rtp[0] = 0x80;
      rtp[1] = 8;
      view.setUint16(2, p.seq);
      view.setUint32(4, p.ts);
      view.setUint32(8, 0x6a518186);
      rtp.fill(0xd5, 12);
      demux.push({ frame: 1, time: 1_677_837_000 + p.time, seconds: 0, nanoseconds: 0, src: '10.58.232.40', srcPort: 5502, dst: '10.8.7.22', dstPort: 43520, payload: rtp });
    }
    const [stream] = demux.finish();
    expect(stream!.stats.packets).toBe(5);
    expect(stream!.endPosition - stream!.startPosition).toBeLessThan(8000);
    stream!.dispose();
  });
});
