/**
 * The packets of one capture file, as a gateway or a phone would have written
 * them: per media stretch (segment) two RTP streams between the capturing
 * device and its peer, in capture-time order, generated lazily so that a
 * three-hour call never sits in memory.
 *
 * Mirroring (what `recorder convert --recorded-by` assumes):
 * - gateway capture: the device is the gateway; the stream it sends to the
 *   internal party's phone carries the external party, the phone's stream
 *   carries the internal party;
 * - phone capture: the device is the internal party's phone; the stream it
 *   sends carries the internal party, the stream it receives (from the far
 *   end, or another phone for internal calls) the external party. The
 *   device is the phone of the first segment's internal party.
 * Segments with the same peer share one RTP session (ports, SSRCs, running
 * sequence and timestamp) across hold gaps; a new peer (a transfer) opens a
 * new session, which the converter renders as a second recording.
 *
 * Pure: no I/O beyond reading the G.729 fixtures once.
 */
import { G722Encoder, encodeG711 } from '../../media/codecs/index.js';
import { LinkType, udpFlowFrames } from '../../media/pcap/index.js';
import type { CaptureFrame, FrameTime } from '../../media/pcap/index.js';
import { FieldError, mulberry32 } from '../../platform/util/index.js';
import type { CaptureSide, CaptureSpec, MediaImpairments, PartyRef, PlannedCall, SimCodec } from '../model.js';
import { encodeRtpPacket } from '../rtp-packet.js';
import { G729_FRAME_BYTES, partyG729Frames, partyG729ToneHz } from './g729-payloads.js';
import { partySignal, partyToneHz } from './voices.js';

/** The capture spec or call cannot be rendered; `field` names the offending field. */
export class CaptureSpecError extends FieldError {
  constructor(field: string, reason: string) {
    super(field, reason, 'capture spec');
  }
}

/** Where the simulated hosts are (bytes in a file only: documentation addresses by default). */
export interface CaptureRenderOptions {
  /** The recording gateway (default 198.51.100.1). */
  readonly gatewayAddress?: string;
  /** A user's phone (default 192.0.2.10–249, from the number). */
  readonly phoneAddress?: (party: PartyRef) => string;
  /** An external party's media endpoint as a phone sees it (default 203.0.113.10–249, from the number). */
  readonly farEndAddress?: (party: PartyRef) => string;
}

export const DEFAULT_GATEWAY_ADDRESS = '198.51.100.1';

/** Static RTP payload types of the simulated codecs. */
export const PAYLOAD_TYPES: Readonly<Record<SimCodec, number>> = { pcmu: 0, pcma: 8, g722: 9, g729: 18 };

/** One direction of RTP in the capture. */
export interface CaptureFlowPlan {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly sentByDevice: boolean;
  readonly ssrc: number;
  /** Sequence number and RTP timestamp of the flow's first packet. */
  readonly firstSequence: number;
  readonly firstTimestamp: number;
  /** Capture lag of this flow behind the slot grid (ms): the device's own flows 0, its peers' a few ms. */
  readonly offsetMs: number;
  /** Packets sent (before impairments). */
  readonly packets: number;
}

/** One party's side of a segment. */
export interface CaptureVoicePlan {
  readonly party: PartyRef;
  /** The tone the party's audio carries (for G.729: the fixture tone nearest the party's own). */
  readonly toneHz: number;
  /** Index into CapturePlan.flows of the stream that carries it. */
  readonly flow: number;
}

/** What one media segment puts in the capture. */
export interface CaptureSegmentPlan {
  /** The segment as specified (ms from the call's setup). */
  readonly from: number;
  readonly to: number;
  /** Slot time of the first packet (ms from setup) and packets per direction: audio covers [firstPacketAt, firstPacketAt + packets × packetMs). */
  readonly firstPacketAt: number;
  readonly packets: number;
  readonly internal: CaptureVoicePlan;
  readonly external: CaptureVoicePlan;
}

/** The expected content of a capture: what tests compare the file and its conversion with. */
export interface CapturePlan {
  readonly fileName: string;
  readonly side: CaptureSide;
  /** Address of the device that wrote the capture (the converter's deviceAddress). */
  readonly deviceAddress: string;
  readonly codec: SimCodec;
  readonly payloadType: number;
  /** RTP clock (8000 for every simulated codec, G.722 included). */
  readonly rtpClockRate: number;
  /** Sample rate of the decoded audio (16000 for G.722). */
  readonly sampleRate: number;
  readonly packetMs: number;
  /** ms from setup of the first and after the last slot that carries media. */
  readonly mediaStart: number;
  readonly mediaEnd: number;
  readonly flows: readonly CaptureFlowPlan[];
  readonly segments: readonly CaptureSegmentPlan[];
}

/** One captured frame, with what tests need to know about it. */
export interface CapturePacket extends CaptureFrame {
  readonly time: FrameTime;
  /** Capture time in ms from the call's setup. */
  readonly atMs: number;
  /** Index into CapturePlan.flows. */
  readonly flow: number;
  readonly sequence: number;
  /** A duplicated copy (the original came just before). */
  readonly copy: boolean;
}

/** What the impairments did, per flow (index as CapturePlan.flows). */
export interface CaptureRenderStats {
  readonly sent: number[];
  readonly lost: number[];
  readonly duplicated: number[];
  readonly reordered: number[];
  /** Packets sent while the device was not recording (CaptureSpec.unrecorded): not in the file. */
  readonly unrecorded: number[];
  /** Frames in the capture (duplicates included). */
  readonly frames: number;
}

function isWholeNumber(value: unknown, min = 0): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function fraction(value: number | undefined, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) throw new CaptureSpecError(field, `must be a fraction 0..1, got ${String(value)}`);
  return value;
}

/** Check a spec before anything is built: each problem names its field. */
export function validateCaptureSpec(call: PlannedCall, spec: CaptureSpec): void {
  if (typeof call.setupTime !== 'number' || !Number.isFinite(call.setupTime) || call.setupTime < 0) {
    throw new CaptureSpecError('call.setupTime', `must be epoch ms ≥ 0, got ${String(call.setupTime)}`);
  }
  if (typeof spec.fileName !== 'string' || spec.fileName.length === 0 || /[/\\\0]/.test(spec.fileName) || spec.fileName === '.' || spec.fileName === '..') {
    throw new CaptureSpecError('fileName', `must be a plain file name without a directory part, got ${JSON.stringify(spec.fileName)}`);
  }
  if (spec.side !== 'gateway' && spec.side !== 'phone') throw new CaptureSpecError('side', `must be "gateway" or "phone", got ${JSON.stringify(spec.side)}`);
  if (!Object.hasOwn(PAYLOAD_TYPES, spec.codec)) throw new CaptureSpecError('codec', `must be one of ${Object.keys(PAYLOAD_TYPES).join(', ')}, got ${JSON.stringify(spec.codec)}`);
  if (spec.codec === 'g729') {
    if (!isWholeNumber(spec.packetMs, 10) || spec.packetMs > 60 || spec.packetMs % 10 !== 0) throw new CaptureSpecError('packetMs', `G.729 needs 10..60 ms in steps of 10, got ${String(spec.packetMs)}`);
  } else if (!isWholeNumber(spec.packetMs, 5) || spec.packetMs > 120) {
    throw new CaptureSpecError('packetMs', `must be a whole number of ms in 5..120, got ${String(spec.packetMs)}`);
  }
  if (!isWholeNumber(spec.start)) throw new CaptureSpecError('start', `must be whole ms ≥ 0 from setup, got ${String(spec.start)}`);
  if (!isWholeNumber(spec.end) || spec.end <= spec.start) throw new CaptureSpecError('end', `must be whole ms after start (${spec.start}), got ${String(spec.end)}`);
  if (typeof spec.seed !== 'number' || !Number.isFinite(spec.seed)) throw new CaptureSpecError('seed', `must be a finite number, got ${String(spec.seed)}`);
  if (!Array.isArray(spec.segments) || spec.segments.length === 0) throw new CaptureSpecError('segments', 'must list at least one media segment');
  let previousEnd = Number.NEGATIVE_INFINITY;
  spec.segments.forEach((segment, i) => {
    const field = `segments[${i}]`;
    if (typeof segment.from !== 'number' || typeof segment.to !== 'number' || !Number.isFinite(segment.from) || !Number.isFinite(segment.to) || segment.to <= segment.from) {
      throw new CaptureSpecError(field, `needs finite from < to, got ${String(segment.from)}..${String(segment.to)}`);
    }
    if (segment.from < previousEnd) throw new CaptureSpecError(field, `starts at ${segment.from} ms, before the previous segment ends (${previousEnd} ms): segments must be ordered and not overlap`);
    previousEnd = segment.to;
    for (const role of ['internal', 'external'] as const) {
      const party = segment[role];
      if (!party || typeof party.number !== 'string') throw new CaptureSpecError(`${field}.${role}`, 'must be a party with a number');
    }
  });
  if (spec.unrecorded !== undefined) {
    if (!Array.isArray(spec.unrecorded)) throw new CaptureSpecError('unrecorded', 'must be a list of spans');
    let previous = spec.start;
    spec.unrecorded.forEach((span, i) => {
      const field = `unrecorded[${i}]`;
      if (typeof span?.from !== 'number' || typeof span.to !== 'number' || !Number.isFinite(span.from) || !Number.isFinite(span.to) || span.to <= span.from) {
        throw new CaptureSpecError(field, `needs finite from < to, got ${String(span?.from)}..${String(span?.to)}`);
      }
      // Recording before, between and after: a capture starts and ends with something written.
      if (span.from <= previous || span.to >= spec.end) throw new CaptureSpecError(field, `must lie inside the capture (${spec.start}..${spec.end} ms), after the span before it, got ${span.from}..${span.to}`);
      previous = span.to;
    });
  }
  const impairments: MediaImpairments = spec.impairments ?? {};
  fraction(impairments.loss, 'impairments.loss');
  fraction(impairments.reorder, 'impairments.reorder');
  fraction(impairments.duplicate, 'impairments.duplicate');
  if (impairments.jitterMs !== undefined && (typeof impairments.jitterMs !== 'number' || !Number.isFinite(impairments.jitterMs) || impairments.jitterMs < 0)) {
    throw new CaptureSpecError('impairments.jitterMs', `must be ms ≥ 0, got ${String(impairments.jitterMs)}`);
  }
}

/** The number's last digits as a host number 10..249. */
function hostOf(number: string): number {
  let value = 0;
  for (const ch of number) {
    const digit = ch.charCodeAt(0) - 48;
    if (digit >= 0 && digit <= 9) value = (value * 10 + digit) % 240;
  }
  return 10 + value;
}

const defaultPhoneAddress = (party: PartyRef): string => `192.0.2.${hostOf(party.number)}`;
const defaultFarEndAddress = (party: PartyRef): string => `203.0.113.${hostOf(party.number)}`;

/** The slot grid starts at spec.start; a segment sends in the slots that start within it (and within start..end). */
function segmentSlots(spec: CaptureSpec, from: number, to: number): { first: number; packets: number } {
  const ptime = spec.packetMs;
  const begin = Math.max(from, spec.start);
  const stop = Math.min(to, spec.end);
  const first = spec.start + Math.ceil((begin - spec.start) / ptime) * ptime;
  return { first, packets: Math.max(0, Math.ceil((stop - first) / ptime)) };
}

interface MutableFlow extends CaptureFlowPlan {
  packets: number;
}

/**
 * Work out the streams, addresses, ports, SSRCs and per-segment voices of a
 * capture (deterministic from spec.seed). Throws CaptureSpecError on bad input.
 */
export function planCapture(call: PlannedCall, spec: CaptureSpec, options: CaptureRenderOptions = {}): CapturePlan {
  validateCaptureSpec(call, spec);
  const gateway = options.gatewayAddress ?? DEFAULT_GATEWAY_ADDRESS;
  const phoneAddress = options.phoneAddress ?? defaultPhoneAddress;
  const farEndAddress = options.farEndAddress ?? defaultFarEndAddress;
  const identity = mulberry32((spec.seed >>> 0) ^ 0x5eed0001);
  const device = spec.side === 'gateway' ? gateway : phoneAddress(spec.segments[0]!.internal);
  const usedPorts = new Set<number>();
  const evenPort = (): number => {
    for (;;) {
      const port = 2 * (8000 + Math.floor(identity() * 16000)); // 16000..47998, even as RTP ports are
      if (!usedPorts.has(port)) {
        usedPorts.add(port);
        return port;
      }
    }
  };
  const flows: MutableFlow[] = [];
  const sessions = new Map<string, { toPeer: number; fromPeer: number }>();
  const newFlow = (src: string, srcPort: number, dst: string, dstPort: number, sentByDevice: boolean, offsetMs: number): number => {
    flows.push({
      src,
      srcPort,
      dst,
      dstPort,
      sentByDevice,
      ssrc: Math.floor(identity() * 0x1_0000_0000) >>> 0,
      firstSequence: Math.floor(identity() * 0x10000),
      firstTimestamp: Math.floor(identity() * 0x1_0000_0000) >>> 0,
      offsetMs,
      packets: 0,
    });
    return flows.length - 1;
  };
  const segments: CaptureSegmentPlan[] = [];
  let mediaStart = Number.POSITIVE_INFINITY;
  let mediaEnd = Number.NEGATIVE_INFINITY;
  const toneOf = (party: PartyRef): number => (spec.codec === 'g729' ? partyG729ToneHz(party) : partyToneHz(party));
  for (const segment of spec.segments) {
    const { first, packets } = segmentSlots(spec, segment.from, segment.to);
    let peer = spec.side === 'gateway' ? phoneAddress(segment.internal) : segment.external.external ? farEndAddress(segment.external) : phoneAddress(segment.external);
    if (peer === device) peer = peer.replace(/\d+$/, (host) => String((Number(host) % 250) + 1)); // two parties hashed onto one host
    let session = sessions.get(peer);
    if (!session) {
      const devicePort = evenPort();
      const peerPort = evenPort();
      // The peer's packets trail the device's by a few ms, so the device's stream is always first in the file (the converter's device guess relies on it).
      const peerOffset = 1 + Math.floor(identity() * Math.min(9, spec.packetMs / 2));
      session = { toPeer: newFlow(device, devicePort, peer, peerPort, true, 0), fromPeer: newFlow(peer, peerPort, device, devicePort, false, peerOffset) };
      sessions.set(peer, session);
    }
    // A gateway sends the far party towards the phone; a phone sends its own user's voice.
    const internalFlow = spec.side === 'gateway' ? session.fromPeer : session.toPeer;
    const externalFlow = spec.side === 'gateway' ? session.toPeer : session.fromPeer;
    flows[internalFlow]!.packets += packets;
    flows[externalFlow]!.packets += packets;
    if (packets > 0) {
      mediaStart = Math.min(mediaStart, first);
      mediaEnd = Math.max(mediaEnd, first + packets * spec.packetMs);
    }
    segments.push({
      from: segment.from,
      to: segment.to,
      firstPacketAt: first,
      packets,
      internal: { party: segment.internal, toneHz: toneOf(segment.internal), flow: internalFlow },
      external: { party: segment.external, toneHz: toneOf(segment.external), flow: externalFlow },
    });
  }
  return {
    fileName: spec.fileName,
    side: spec.side,
    deviceAddress: device,
    codec: spec.codec,
    payloadType: PAYLOAD_TYPES[spec.codec],
    rtpClockRate: 8000,
    sampleRate: spec.codec === 'g722' ? 16000 : 8000,
    packetMs: spec.packetMs,
    mediaStart: Number.isFinite(mediaStart) ? mediaStart : spec.start,
    mediaEnd: Number.isFinite(mediaEnd) ? mediaEnd : spec.start,
    flows,
    segments,
  };
}

/** A min-heap of frames by capture time (ties: the order they were made in). */
class FrameQueue {
  private readonly items: Array<{ atMs: number; order: number; packet: Omit<CapturePacket, 'time' | 'atMs'> }> = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items[0]?.atMs ?? Number.POSITIVE_INFINITY;
  }

  push(atMs: number, packet: Omit<CapturePacket, 'time' | 'atMs'>): void {
    const items = this.items;
    items.push({ atMs, order: this.counter++, packet });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): { atMs: number; packet: Omit<CapturePacket, 'time' | 'atMs'> } {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.before(left, smallest)) smallest = left;
        if (right < items.length && this.before(right, smallest)) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.atMs < y.atMs || (x.atMs === y.atMs && x.order < y.order);
  }
}

interface FlowState {
  sentPackets: number;
  firstSlot: number;
  lastSlot: number;
  ipId: number;
  encoder: G722Encoder | undefined;
}

/** Epoch ms → exact pcap time. */
function frameTime(epochMs: number): FrameTime {
  const seconds = Math.floor(epochMs / 1000);
  let nanoseconds = Math.round((epochMs - seconds * 1000) * 1e6);
  if (nanoseconds >= 1e9) nanoseconds = 1e9 - 1;
  return { seconds, nanoseconds };
}

/**
 * The capture's frames (Ethernet/IPv4/UDP/RTP) in capture-time order, made
 * one slot at a time: memory stays bounded by the jitter window however long
 * the call. The generator's return value counts what the impairments did.
 *
 * Impairments apply to both directions, seeded by spec.seed: loss drops a
 * packet, jitter delays it by 0..jitterMs, reorder delivers it after the next
 * one, duplicate sends a second copy right behind it. A flow's first packet
 * is never impaired (the converter tells the device by who sent first).
 */
export function* captureFrames(call: PlannedCall, spec: CaptureSpec, options: CaptureRenderOptions = {}): Generator<CapturePacket, CaptureRenderStats, undefined> {
  const plan = planCapture(call, spec, options);
  const impairments = spec.impairments ?? {};
  const loss = impairments.loss ?? 0;
  const jitterMs = impairments.jitterMs ?? 0;
  const reorder = impairments.reorder ?? 0;
  const duplicate = impairments.duplicate ?? 0;
  // Its own PRNG, so switching impairments on does not change SSRCs or ports.
  const random = mulberry32((spec.seed >>> 0) ^ 0x1bad5eed);
  const ptime = spec.packetMs;
  const samples = (ptime * plan.sampleRate) / 1000;
  const law = spec.codec === 'pcma' ? 'alaw' : 'ulaw';
  const states: FlowState[] = plan.flows.map(() => ({ sentPackets: 0, firstSlot: 0, lastSlot: Number.NEGATIVE_INFINITY, ipId: 0, encoder: undefined }));
  const stats: CaptureRenderStats = {
    sent: plan.flows.map(() => 0),
    lost: plan.flows.map(() => 0),
    duplicated: plan.flows.map(() => 0),
    reordered: plan.flows.map(() => 0),
    unrecorded: plan.flows.map(() => 0),
    frames: 0,
  };
  // Slots come in time order, so one cursor walks the spans the device did not write.
  const pauses = spec.unrecorded ?? [];
  let pause = 0;
  const unrecorded = (slot: number): boolean => {
    while (pause < pauses.length && slot >= pauses[pause]!.to) pause++;
    return pause < pauses.length && slot >= pauses[pause]!.from;
  };
  let frameCount = 0;
  const queue = new FrameQueue();
  const frameOf = plan.flows.map((flow) => udpFlowFrames({ linkType: LinkType.ETHERNET, src: flow.src, dst: flow.dst, srcPort: flow.srcPort, dstPort: flow.dstPort }));

  const payloadFor = (flowIndex: number, party: PartyRef, slot: number): Uint8Array => {
    switch (spec.codec) {
      case 'g729':
        return partyG729Frames(party, slot, ptime / 10, new Uint8Array((ptime / 10) * G729_FRAME_BYTES));
      case 'g722': {
        const state = states[flowIndex]!;
        state.encoder ??= new G722Encoder();
        return state.encoder.encode(partySignal(party, (slot * plan.sampleRate) / 1000, samples, plan.sampleRate));
      }
      default:
        return encodeG711(law, partySignal(party, (slot * plan.sampleRate) / 1000, samples, plan.sampleRate));
    }
  };

  const send = (flowIndex: number, party: PartyRef, slot: number): void => {
    const flow = plan.flows[flowIndex]!;
    const state = states[flowIndex]!;
    const firstOfFlow = state.sentPackets === 0;
    const sequence = (flow.firstSequence + state.sentPackets) & 0xffff;
    if (firstOfFlow) state.firstSlot = slot;
    // The timestamp follows the codec clock across hold gaps: the receiver places resumed audio where it belongs.
    const timestamp = (flow.firstTimestamp + ((slot - state.firstSlot) * plan.rtpClockRate) / 1000) >>> 0;
    const marker = slot - state.lastSlot > ptime; // first packet, or the first after a hold gap: a talk spurt starts
    state.sentPackets++;
    state.lastSlot = slot;
    // Encoded and sent to the peer either way (a G.722 encoder's state runs on), but not written while unrecorded:
    // the stream's numbering goes on past the gap in the file.
    const payload = payloadFor(flowIndex, party, slot);
    if (unrecorded(slot)) {
      stats.unrecorded[flowIndex]!++;
      return;
    }
    stats.sent[flowIndex]!++;
    if (!firstOfFlow && loss > 0 && random() < loss) {
      stats.lost[flowIndex]!++;
      return;
    }
    const rtp = encodeRtpPacket({ payloadType: plan.payloadType, sequence, timestamp, ssrc: flow.ssrc, payload, marker });
    const data = frameOf[flowIndex]!(rtp, state.ipId);
    state.ipId = (state.ipId + 1) & 0xffff;
    let atMs = slot + flow.offsetMs;
    if (!firstOfFlow) {
      if (jitterMs > 0) atMs += random() * jitterMs;
      if (reorder > 0 && random() < reorder) {
        // Behind the next packet of this flow however that one is jittered.
        atMs += ptime + jitterMs + 0.2;
        stats.reordered[flowIndex]!++;
      }
    }
    atMs = Math.round(atMs * 1000) / 1000; // whole µs, as the file stores it
    queue.push(atMs, { data, flow: flowIndex, sequence, copy: false });
    if (!firstOfFlow && duplicate > 0 && random() < duplicate) {
      queue.push(atMs + 0.1, { data, flow: flowIndex, sequence, copy: true });
      stats.duplicated[flowIndex]!++;
    }
  };

  function* release(upTo: number): Generator<CapturePacket, void, undefined> {
    while (queue.size > 0 && queue.peekTime() <= upTo) {
      const { atMs, packet } = queue.pop();
      frameCount++;
      yield { ...packet, atMs, time: frameTime(call.setupTime + atMs) };
    }
  }

  for (const segment of plan.segments) {
    for (let k = 0; k < segment.packets; k++) {
      const slot = segment.firstPacketAt + k * ptime;
      // Everything queued is due no later than any packet made from here on (impairments only delay).
      yield* release(slot);
      // The device's packet first: at equal capture times it is the earlier frame.
      const deviceVoice = plan.flows[segment.internal.flow]!.sentByDevice ? segment.internal : segment.external;
      const peerVoice = deviceVoice === segment.internal ? segment.external : segment.internal;
      send(deviceVoice.flow, deviceVoice.party, slot);
      send(peerVoice.flow, peerVoice.party, slot);
    }
  }
  yield* release(Number.POSITIVE_INFINITY);
  return { ...stats, frames: frameCount };
}
