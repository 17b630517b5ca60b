import type { UdpDatagram } from '../pcap/index.js';
import { RtpFlowDetector, parseRtp, isRtcp } from '../rtp/index.js';
import type { RtpPacket } from '../rtp/index.js';
import { codecFromEncodingName, codecOfPayloadType } from '../codecs/index.js';
import type { SampleTrackOptions } from '../audio/index.js';
import { RtpStream } from './rtp-stream.js';
import type { PayloadKind } from './rtp-stream.js';
import type { SignallingDirectory } from './signalling.js';

export interface DemuxOptions {
  /** Packets a flow must show (same SSRC, consecutive sequence numbers) before it is taken for RTP without SDP (default 3). */
  readonly rtpConfirmPackets?: number;
  readonly reorderWindow?: number;
  readonly track?: SampleTrackOptions;
  /** SIP/SDP seen in the capture; optional (a gateway's capture usually holds media only). */
  readonly signalling?: SignallingDirectory;
}

/** RFC 3551's static payload types that no decoder here handles, by name, so a report can say what they are. */
const STATIC_PAYLOAD_NAMES: ReadonlyMap<number, string> = new Map([
  [3, 'GSM/8000'],
  [4, 'G723/8000'],
  [5, 'DVI4/8000'],
  [6, 'DVI4/16000'],
  [7, 'LPC/8000'],
  [10, 'L16/44100 stereo'],
  [11, 'L16/44100'],
  [12, 'QCELP/8000'],
  [14, 'MPA/90000'],
  [15, 'G728/8000'],
  [16, 'DVI4/11025'],
  [17, 'DVI4/22050'],
  [25, 'CelB video'],
  [26, 'JPEG video'],
  [28, 'nv video'],
  [31, 'H261 video'],
  [32, 'MPV video'],
  [33, 'MP2T'],
  [34, 'H263 video'],
]);

/** Packets held per undecided flow (bounded: a flow that never confirms must not grow memory). */
const MAX_HELD_PACKETS = 64;

/** Dynamic payload types taken for RFC 4733 events when no SDP names them: the common choices. */
const DEFAULT_EVENT_TYPES = new Set([96, 97, 98, 99, 100, 101, 110, 120, 121, 126, 127]);

/**
 * Splits a capture's UDP datagrams into RTP streams (one per direction of a
 * flow), leaving SIP to the signalling directory and ignoring RTCP and other
 * UDP. A flow is taken for RTP when SDP names its endpoint, or after a few
 * packets that look like one RTP source (same SSRC, consecutive sequence).
 */
export class RtpDemuxer {
  readonly streams = new Map<string, RtpStream>();
  /** The same streams indexed by (source port << 16 | destination port). */
  private readonly byPorts = new Map<number, RtpStream[]>();
  /** UDP datagrams that were neither RTP, RTCP nor signalling. */
  otherDatagrams = 0;
  rtcpPackets = 0;
  private origin: number | undefined;
  /** Packets of flows not yet taken for RTP (at most the confirming run), replayed once the flow is confirmed. */
  private readonly held = new Map<string, Array<{ packet: RtpPacket; time: number }>>();
  private readonly detector: RtpFlowDetector;
  private readonly confirmCount: number;

  constructor(private readonly options: DemuxOptions = {}) {
    this.confirmCount = Math.max(1, options.rtpConfirmPackets ?? 3);
    this.detector = new RtpFlowDetector({ confirmPackets: this.confirmCount });
  }

  push(datagram: UdpDatagram): void {
    // One second before the first packet: an anchor may sit a little before a packet's arrival, and track positions must not go negative.
    if (this.origin === undefined) this.origin = datagram.time - 1;
    const stream = this.lookup(datagram);
    if (stream) {
      const packet = parseRtp(datagram.payload);
      if (packet) stream.push(packet, datagram.time);
      else if (isRtcp(datagram.payload)) this.rtcpPackets++;
      else this.otherDatagrams++;
      return;
    }
    if (this.options.signalling?.offer(datagram)) return;
    const key = `${datagram.src}|${datagram.srcPort}|${datagram.dst}|${datagram.dstPort}`;
    if (isRtcp(datagram.payload)) {
      this.rtcpPackets++;
      return;
    }
    const packet = parseRtp(datagram.payload);
    if (!packet) {
      this.otherDatagrams++;
      return;
    }
    const described = this.options.signalling?.describes(datagram.src, datagram.srcPort, datagram.dst, datagram.dstPort, datagram.time);
    if (described) {
      this.openStream(key, datagram).push(packet, datagram.time);
      return;
    }
    const verdict = this.detector.observe(key, packet);
    if (verdict === 'not-rtp') {
      this.otherDatagrams += 1 + (this.held.get(key)?.length ?? 0);
      this.held.delete(key);
      return;
    }
    let held = this.held.get(key);
    if (!held) {
      held = [];
      this.held.set(key, held);
    }
    // Held packets may wait long (a flow that never confirms): copies, so they do not pin the reader's buffers.
    held.push({ packet: { ...packet, payload: packet.payload.slice() }, time: datagram.time });
    if (verdict === 'rtp') {
      // Every held packet of the confirmed source belongs to the stream, also those before the confirming run
      // (a duplicated first packet, or a pause, broke the run but not the stream); other sources' are not media.
      const ssrc = packet.ssrc;
      const own = held.filter((h) => h.packet.ssrc === ssrc);
      this.otherDatagrams += held.length - own.length;
      this.held.delete(key);
      const opened = this.openStream(key, datagram);
      for (const h of own) opened.push(h.packet, h.time);
    } else if (held.length > MAX_HELD_PACKETS) {
      this.otherDatagrams += held.length - MAX_HELD_PACKETS;
      held.splice(0, held.length - MAX_HELD_PACKETS);
    }
  }

  /** Release every stream's held packets. Call once at the end of the capture. */
  finish(): RtpStream[] {
    for (const held of this.held.values()) this.otherDatagrams += held.length;
    this.held.clear();
    for (const stream of this.streams.values()) stream.flush();
    return [...this.streams.values()];
  }

  /**
   * The stream of a datagram's flow. Hot path: flows are found by their two
   * ports (a small integer key) and then the addresses compared, instead of
   * building and hashing a string per packet.
   */
  private lookup(datagram: UdpDatagram): RtpStream | undefined {
    const candidates = this.byPorts.get((datagram.srcPort << 16) | datagram.dstPort);
    if (!candidates) return undefined;
    for (const stream of candidates) {
      if (stream.from.address === datagram.src && stream.to.address === datagram.dst) return stream;
    }
    return undefined;
  }

  private openStream(key: string, datagram: UdpDatagram): RtpStream {
    const from = { address: datagram.src, port: datagram.srcPort };
    const to = { address: datagram.dst, port: datagram.dstPort };
    const stream = new RtpStream(from, to, {
      origin: this.origin!,
      payloadKind: (payloadType, payloadLength) => this.payloadKind(payloadType, payloadLength, datagram),
      ...(this.options.reorderWindow !== undefined ? { reorderWindow: this.options.reorderWindow } : {}),
      ...(this.options.track ? { track: this.options.track } : {}),
    });
    this.streams.set(key, stream);
    const ports = (datagram.srcPort << 16) | datagram.dstPort;
    const list = this.byPorts.get(ports);
    if (list) list.push(stream);
    else this.byPorts.set(ports, [stream]);
    return stream;
  }

  private payloadKind(payloadType: number, payloadLength: number, datagram: UdpDatagram): PayloadKind {
    const mapped = this.options.signalling?.payloadType(datagram.src, datagram.srcPort, datagram.dst, datagram.dstPort, payloadType, datagram.time);
    if (mapped) {
      const name = mapped.encoding.toLowerCase();
      if (name === 'telephone-event') return { kind: 'telephone-event' };
      if (name === 'cn') return { kind: 'comfort-noise' };
      const codec = codecFromEncodingName(mapped.encoding);
      return codec ? { kind: 'audio', codec } : { kind: 'unknown', encoding: `${mapped.encoding}/${mapped.clockRate}` };
    }
    if (payloadType === 13) return { kind: 'comfort-noise' };
    const codec = codecOfPayloadType(payloadType);
    if (codec) return { kind: 'audio', codec };
    // Without SDP, a common event type carrying whole 4-octet RFC 4733 events is taken for DTMF.
    if (DEFAULT_EVENT_TYPES.has(payloadType) && payloadLength > 0 && payloadLength % 4 === 0 && payloadLength <= 16) return { kind: 'telephone-event' };
    const staticName = STATIC_PAYLOAD_NAMES.get(payloadType);
    return staticName ? { kind: 'unknown', encoding: staticName } : { kind: 'unknown' };
  }
}

