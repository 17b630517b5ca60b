import { createStreamDecoder, encodeG711, encodeG722 } from '../media/codecs/index.js';
import type { UdpDatagram } from '../media/pcap/index.js';
import { mulberry32 } from '../platform/util/index.js';
import { encodeRtpPacket, encodeTelephoneEvent } from './rtp-packet.js';

export interface LegEndpoint {
  readonly address: string;
  readonly port: number;
}

/** Faults to put into a leg, by packet index (0-based, in send order). */
export interface LegImpairments {
  /** Packets never delivered. */
  readonly lose?: readonly number[];
  /** Packets delivered twice (the copy right after the original). */
  readonly duplicate?: readonly number[];
  /** Packets delivered late: [index, how many packet intervals later]. */
  readonly delay?: ReadonlyArray<readonly [number, number]>;
  /** From this packet on, a new SSRC with its own random sequence and timestamp base. */
  readonly ssrcChangeAt?: { readonly index: number; readonly ssrc: number; readonly sequence: number; readonly timestamp: number };
  /** From this packet on, the RTP timestamp is offset by `delta` (capture time runs on unchanged). */
  readonly timestampJumpAt?: { readonly index: number; readonly delta: number };
  /** Random extra delay per packet in whole milliseconds from 0 to jitterMs (seeded); the first packet is on time. */
  readonly jitterMs?: number;
  readonly seed?: number;
}

export interface LegSpec {
  readonly from: LegEndpoint;
  readonly to: LegEndpoint;
  readonly codec: 'pcma' | 'pcmu' | 'g722';
  /** Audio of the leg at the codec's rate (8 kHz, 16 kHz for G.722); its length is rounded down to whole packets. */
  readonly pcm: Int16Array;
  /** The payload bytes to send, when made by another encoder (then `pcm` only sets the length). */
  readonly encoded?: Uint8Array;
  readonly packetMs: number;
  /** Capture time of the first packet (s since epoch). */
  readonly startTime: number;
  readonly ssrc: number;
  readonly sequence: number;
  readonly timestamp: number;
  /** RFC 4733 key presses replacing the audio packets [fromPacket, fromPacket + packets). */
  readonly dtmf?: ReadonlyArray<{ readonly event: number; readonly fromPacket: number; readonly packets: number }>;
  /** Packets sent as comfort noise (PT 13) instead of audio. */
  readonly comfortNoise?: readonly number[];
  readonly telephoneEventType?: number;
  readonly impairments?: LegImpairments;
}

export interface BuiltLeg {
  /** Datagrams in delivery order with capture times (frame numbers assigned by `mergeLegs`). */
  readonly datagrams: UdpDatagram[];
  /**
   * What a correct recorder puts on this party's channel, from the leg's first
   * sample: the decoded audio of every delivered audio packet, silence where a
   * packet was lost or carried DTMF/comfort noise.
   */
  readonly expected: Int16Array;
  readonly packetsSent: number;
  readonly packetsDelivered: number;
  /** Per packet index: true when it carried audio and was delivered (its samples belong in `expected`). */
  readonly audioDelivered: boolean[];
}

/** Build one direction of a call as it appears on the wire, with the faults asked for. */
export function buildLeg(spec: LegSpec): BuiltLeg {
  // G.711 and G.722 at 64 kbit/s both send 8 bytes per millisecond on an 8000 Hz RTP clock; G.722 decodes to 16 kHz.
  const outputRate = spec.codec === 'g722' ? 16000 : 8000;
  const samplesPerPacket = (spec.packetMs * outputRate) / 1000;
  const bytesPerPacket = spec.packetMs * 8;
  const tsPerPacket = spec.packetMs * 8;
  const packetCount = Math.floor(spec.pcm.length / samplesPerPacket);
  const payloadType = spec.codec === 'pcma' ? 8 : spec.codec === 'pcmu' ? 0 : 9;
  const eventType = spec.telephoneEventType ?? 101;
  const imp = spec.impairments ?? {};
  const lose = new Set(imp.lose ?? []);
  const duplicate = new Set(imp.duplicate ?? []);
  const delay = new Map(imp.delay ?? []);
  const cn = new Set(spec.comfortNoise ?? []);
  const random = mulberry32(imp.seed ?? 1);
  const source = spec.pcm.subarray(0, packetCount * samplesPerPacket);
  const encoded = spec.encoded ?? (spec.codec === 'g722' ? encodeG722(source) : encodeG711(spec.codec === 'pcma' ? 'alaw' : 'ulaw', source));
  const audioDelivered: boolean[] = new Array<boolean>(packetCount).fill(false);
  const expected = new Int16Array(packetCount * samplesPerPacket);
  // What a receiver decodes: delivered packets in order through one stateful decoder.
  const decoder = createStreamDecoder(spec.codec);
  if (!decoder) throw new Error(`no decoder for ${spec.codec}`);

  const dtmfAt = new Map<number, { event: number; first: number; count: number }>();
  for (const press of spec.dtmf ?? []) for (let i = 0; i < press.packets; i++) dtmfAt.set(press.fromPacket + i, { event: press.event, first: press.fromPacket, count: press.packets });

  const sent: Array<{ sendTime: number; order: number; payload: Uint8Array }> = [];
  let ssrc = spec.ssrc;
  let seqBase = spec.sequence;
  let tsBase = spec.timestamp;
  let baseIndex = 0;
  for (let i = 0; i < packetCount; i++) {
    if (imp.ssrcChangeAt && i === imp.ssrcChangeAt.index) {
      ssrc = imp.ssrcChangeAt.ssrc;
      seqBase = imp.ssrcChangeAt.sequence;
      tsBase = imp.ssrcChangeAt.timestamp;
      baseIndex = i;
    }
    const jump = imp.timestampJumpAt && i >= imp.timestampJumpAt.index ? imp.timestampJumpAt.delta : 0;
    const sequence = (seqBase + i - baseIndex) & 0xffff;
    const timestamp = (tsBase + (i - baseIndex) * tsPerPacket + jump) >>> 0;
    let payload: Uint8Array;
    let packetType = payloadType;
    let ts = timestamp;
    let marker = i === 0;
    const press = dtmfAt.get(i);
    if (press) {
      // RFC 4733: every packet of one press carries the press's start timestamp and a growing duration.
      const startTs = (tsBase + (press.first - baseIndex) * tsPerPacket + jump) >>> 0;
      const duration = (i - press.first + 1) * tsPerPacket;
      payload = encodeTelephoneEvent(press.event, i === press.first + press.count - 1, 10, duration);
      packetType = eventType;
      ts = startTs;
      marker = i === press.first;
    } else if (cn.has(i)) {
      payload = Uint8Array.of(60); // RFC 3389: noise level only (-60 dBov)
      packetType = 13;
    } else {
      payload = encoded.subarray(i * bytesPerPacket, (i + 1) * bytesPerPacket);
      if (!lose.has(i)) {
        expected.set(decoder.decode(payload), i * samplesPerPacket);
        audioDelivered[i] = true;
      }
    }
    const packet = encodeRtpPacket({ payloadType: packetType, sequence, timestamp: ts, ssrc, payload, marker });
    if (lose.has(i)) continue;
    const jitter = imp.jitterMs && i > 0 ? Math.floor(random() * (imp.jitterMs + 1)) / 1000 : 0;
    const sendTime = spec.startTime + (i * spec.packetMs) / 1000 + jitter + ((delay.get(i) ?? 0) * spec.packetMs) / 1000;
    sent.push({ sendTime, order: i, payload: packet });
    if (duplicate.has(i)) sent.push({ sendTime: sendTime + 0.0001, order: i + 0.5, payload: packet });
  }
  // A delayed packet arrives after the ones sent behind it.
  sent.sort((a, b) => a.sendTime - b.sendTime || a.order - b.order);
  const datagrams: UdpDatagram[] = sent.map((s) => ({
    frame: 0,
    time: s.sendTime,
    src: spec.from.address,
    srcPort: spec.from.port,
    dst: spec.to.address,
    dstPort: spec.to.port,
    payload: s.payload,
  }));
  return { datagrams, expected, packetsSent: packetCount, packetsDelivered: datagrams.length, audioDelivered };
}

/** Interleave legs by capture time into one capture's datagram sequence, numbering frames from 1. */
export function mergeLegs(...legs: ReadonlyArray<{ readonly datagrams: readonly UdpDatagram[] }>): UdpDatagram[] {
  const all = legs.flatMap((leg) => leg.datagrams);
  all.sort((a, b) => a.time - b.time);
  return all.map((d, i) => ({ ...d, frame: i + 1 }));
}

/** A deterministic test signal: a sum of two tones with a slow amplitude envelope (distinct per party). */
export function toneSignal(samples: number, sampleRate: number, f1: number, f2: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / sampleRate;
    const envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 1.5 * t);
    out[i] = Math.round(amplitude * envelope * (0.6 * Math.sin(2 * Math.PI * f1 * t) + 0.4 * Math.sin(2 * Math.PI * f2 * t)));
  }
  return out;
}
