import { describe, expect, it } from 'vitest';
import { CaptureSpecError, captureFrames, planCapture } from '../../../src/embedded/captures/index.js';
import type { CapturePacket, CaptureRenderStats } from '../../../src/embedded/captures/index.js';
import type { CaptureSpec } from '../../../src/embedded/model.js';
import { ANNA, BERT, CALLER, SETUP_TIME, captureSpec, plannedCall } from './fixtures.js';

interface Rtp {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadLength: number;
  atMs: number;
  flow: number;
}

/** Ethernet (14) + IPv4 (20) + UDP (8) + RTP. */
function parse(packet: CapturePacket): Rtp {
  const d = packet.data;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const ip = (o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  return {
    src: ip(26),
    dst: ip(30),
    srcPort: view.getUint16(34),
    dstPort: view.getUint16(36),
    marker: (d[43]! & 0x80) !== 0,
    payloadType: d[43]! & 0x7f,
    sequence: view.getUint16(44),
    timestamp: view.getUint32(46),
    ssrc: view.getUint32(50),
    payloadLength: d.length - 54,
    atMs: packet.atMs,
    flow: packet.flow,
  };
}

function collect(spec: CaptureSpec): { packets: Rtp[]; raw: CapturePacket[]; stats: CaptureRenderStats } {
  const generator = captureFrames(plannedCall([spec]), spec);
  const raw: CapturePacket[] = [];
  for (;;) {
    const next = generator.next();
    if (next.done) return { packets: raw.map(parse), raw, stats: next.value };
    raw.push(next.value);
  }
}

describe('captureFrames', () => {
  it('a phone that stopped recording writes nothing in that span, and its streams number on past it', () => {
    // 1..5 s recorded but for 2.0..3.5 s (the user switched recording off): 75 slots of 20 ms not written.
    const spec = captureSpec({ codec: 'pcma', side: 'phone', unrecorded: [{ from: 2000, to: 3500 }] });
    const { packets, stats } = collect(spec);
    expect(stats.unrecorded).toEqual([75, 75]);
    expect(stats.sent).toEqual([125, 125]);
    expect(packets).toHaveLength(250);
    expect(packets.some((p) => p.atMs >= 2010 && p.atMs < 3500)).toBe(false);
    for (const flow of [0, 1]) {
      const own = packets.filter((p) => p.flow === flow);
      const at = own.findIndex((p) => p.atMs >= 3500);
      // Sequence and timestamp jump over the 75 packets the phone sent but did not write; no talk-spurt marker.
      expect((own[at]!.sequence - own[at - 1]!.sequence) & 0xffff).toBe(76);
      expect((own[at]!.timestamp - own[at - 1]!.timestamp) >>> 0).toBe(76 * 160);
      expect(own[at]!.marker).toBe(false);
    }
    expect(() => collect(captureSpec({ codec: 'pcma', side: 'phone', unrecorded: [{ from: 1000, to: 2000 }] }))).toThrow(CaptureSpecError);
    expect(() => collect(captureSpec({ codec: 'pcma', side: 'phone', unrecorded: [{ from: 4000, to: 5000 }] }))).toThrow(/unrecorded\[0\].*inside the capture/);
  });

  it('gateway capture: the gateway sends the external party to the phone, the phone the internal party; the device sends first', () => {
    const spec = captureSpec({ codec: 'pcma', side: 'gateway' });
    const plan = planCapture(plannedCall([spec]), spec);
    expect(plan.deviceAddress).toBe('198.51.100.1');
    expect(plan.flows).toHaveLength(2);
    const segment = plan.segments[0]!;
    const toPhone = plan.flows[segment.external.flow]!;
    const fromPhone = plan.flows[segment.internal.flow]!;
    expect(toPhone).toMatchObject({ src: '198.51.100.1', dst: '192.0.2.211', sentByDevice: true, packets: 200 });
    expect(fromPhone).toMatchObject({ src: '192.0.2.211', dst: '198.51.100.1', sentByDevice: false, packets: 200 });
    expect(segment).toMatchObject({ firstPacketAt: 1000, packets: 200 });
    const { packets } = collect(spec);
    expect(packets).toHaveLength(400);
    expect(packets[0]!.src).toBe('198.51.100.1');
    expect(packets[0]!.atMs).toBe(1000);
    for (const p of packets) {
      expect(p.payloadType).toBe(8);
      expect(p.payloadLength).toBe(160);
    }
    for (let i = 1; i < packets.length; i++) expect(packets[i]!.atMs).toBeGreaterThanOrEqual(packets[i - 1]!.atMs);
  });

  it('phone capture: the phone sends its own user, receives the far end (203.0.113.x), or another phone for internal peers', () => {
    const spec = captureSpec({ codec: 'pcmu', side: 'phone' });
    const plan = planCapture(plannedCall([spec]), spec);
    expect(plan.deviceAddress).toBe('192.0.2.211');
    const segment = plan.segments[0]!;
    expect(plan.flows[segment.internal.flow]).toMatchObject({ src: '192.0.2.211', dst: '203.0.113.248', sentByDevice: true });
    expect(plan.flows[segment.external.flow]).toMatchObject({ src: '203.0.113.248', dst: '192.0.2.211', sentByDevice: false });
    const internal = captureSpec({ codec: 'pcmu', side: 'phone', segments: [{ from: 1000, to: 5000, internal: ANNA, external: BERT }] });
    const internalPlan = planCapture(plannedCall([internal]), internal);
    expect(internalPlan.flows[internalPlan.segments[0]!.external.flow]!.src).toBe('192.0.2.212');
  });

  it('keeps SSRC, sequence and the codec clock running across a hold gap, marks each talk spurt, and is deterministic per seed', () => {
    const spec = captureSpec({
      codec: 'g722',
      side: 'gateway',
      packetMs: 30,
      start: 1000,
      end: 9000,
      segments: [
        { from: 1000, to: 4000, internal: ANNA, external: CALLER },
        { from: 6020, to: 9000, internal: ANNA, external: CALLER },
      ],
    });
    const { packets } = collect(spec);
    const plan = planCapture(plannedCall([spec]), spec);
    expect(plan.segments.map((s) => [s.firstPacketAt, s.packets])).toEqual([
      [1000, 100],
      [6040, 99],
    ]);
    for (const flow of [0, 1]) {
      const own = packets.filter((p) => p.flow === flow);
      expect(own).toHaveLength(199);
      expect(new Set(own.map((p) => p.ssrc)).size).toBe(1);
      expect(own[0]!.ssrc).toBe(plan.flows[flow]!.ssrc);
      expect(own.filter((p) => p.marker)).toHaveLength(2);
      expect(own[0]!.marker && own[100]!.marker).toBe(true);
      for (let i = 1; i < own.length; i++) {
        expect((own[i]!.sequence - own[i - 1]!.sequence) & 0xffff).toBe(1);
        const slots = i === 100 ? (6040 - 3970) / 30 : 1;
        expect((own[i]!.timestamp - own[i - 1]!.timestamp) >>> 0).toBe(slots * 240); // G.722: 8000 Hz RTP clock
      }
      expect(own.every((p) => p.payloadLength === 240)).toBe(true);
    }
    expect(collect(spec).packets).toEqual(packets);
    const other = collect({ ...spec, seed: 4712 }).packets;
    expect(other[0]!.ssrc).not.toBe(packets[0]!.ssrc);
  });

  it('applies seeded loss, duplicates, reordering and jitter without ever impairing a flow\'s first packet', () => {
    const spec = captureSpec({ codec: 'pcma', side: 'gateway', start: 0, end: 20000, segments: [{ from: 0, to: 20000, internal: ANNA, external: CALLER }], impairments: { loss: 0.1, duplicate: 0.05, reorder: 0.05, jitterMs: 8 } });
    const { packets, raw, stats } = collect(spec);
    expect(stats.sent).toEqual([1000, 1000]);
    for (const flow of [0, 1]) {
      expect(stats.lost[flow]! / 1000).toBeGreaterThan(0.07);
      expect(stats.lost[flow]! / 1000).toBeLessThan(0.13);
      expect(stats.duplicated[flow]!).toBeGreaterThan(25);
      expect(stats.reordered[flow]!).toBeGreaterThan(25);
      const own = packets.filter((p) => p.flow === flow);
      expect(own).toHaveLength(1000 - stats.lost[flow]! + stats.duplicated[flow]!);
      expect(own[0]!.atMs).toBe(flow === 0 ? 0 : plan(spec).flows[1]!.offsetMs);
      const distinct = new Set(own.map((p) => p.sequence));
      expect(distinct.size).toBe(1000 - stats.lost[flow]!);
      let outOfOrder = 0;
      for (let i = 1; i < own.length; i++) if (((own[i]!.sequence - own[i - 1]!.sequence) & 0xffff) > 0x8000) outOfOrder++;
      expect(outOfOrder).toBeGreaterThan(20);
    }
    expect(raw.filter((p) => p.copy)).toHaveLength(stats.duplicated[0]! + stats.duplicated[1]!);
    expect(stats.frames).toBe(raw.length);
    for (let i = 1; i < packets.length; i++) expect(packets[i]!.atMs).toBeGreaterThanOrEqual(packets[i - 1]!.atMs);
    // Capture times carry the call's epoch.
    expect(raw[0]!.time).toEqual({ seconds: SETUP_TIME / 1000, nanoseconds: 0 });
  });

  it('names the bad field of a spec', () => {
    const good = captureSpec({ codec: 'g729', side: 'gateway' });
    const bad: Array<[Partial<CaptureSpec>, string]> = [
      [{ packetMs: 25 }, 'packetMs'],
      [{ fileName: 'REC/x.pcap' }, 'fileName'],
      [{ end: 1000 }, 'end'],
      [{ segments: [] }, 'segments'],
      [{ segments: [{ from: 1000, to: 3000, internal: ANNA, external: CALLER }, { from: 2000, to: 4000, internal: ANNA, external: CALLER }] }, 'segments[1]'],
      [{ impairments: { loss: 1.5 } }, 'impairments.loss'],
      [{ codec: 'opus' as never }, 'codec'],
    ];
    for (const [change, field] of bad) {
      const spec = { ...good, ...change };
      let error: unknown;
      try {
        planCapture(plannedCall([spec]), spec);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CaptureSpecError);
      expect((error as CaptureSpecError).field).toBe(field);
      expect((error as Error).message).toContain(field);
    }
  });
});

function plan(spec: CaptureSpec) {
  return planCapture(plannedCall([spec]), spec);
}
