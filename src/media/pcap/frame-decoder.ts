import { formatIpv4, formatIpv6 } from './address.js';
import { EtherType, LinkType, LoopbackFamily } from './constants.js';
import { FragmentTable } from './reassembly.js';
import type { FragmentOrigin, ReassemblyLimits } from './reassembly.js';
import type { CaptureStats, TcpSegment, UdpDatagram } from './types.js';

const IPPROTO_UDP = 17;
const IPPROTO_TCP = 6;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AUTH = 51;
const IPV6_DEST_OPTS = 60;
const IPV6_MOBILITY = 135;
const IPV6_HIP = 139;
const IPV6_SHIM6 = 140;
/** Bounds on loops driven by packet contents, so garbage cannot make them long. */
const MAX_VLAN_TAGS = 8;
const MAX_IPV6_HEADERS = 16;
/** IPv4 text is cached by address: calls reuse a handful of addresses, and this saves a string per packet. */
const MAX_CACHED_ADDRESSES = 4096;

/**
 * Turns one captured frame (link layer → IPv4/IPv6 → UDP) into UdpDatagrams, counting what it skips.
 * Works on byte offsets into the caller's buffer so the hot path allocates only the payload view and the datagram.
 */
export class FrameDecoder {
  private readonly fragments: FragmentTable;
  private readonly ipv4Text = new Map<number, string>();
  /** IPv6 text by a hash of the address; the entry keeps the bytes to confirm a hit. */
  private readonly ipv6Text = new Map<number, { readonly bytes: Uint8Array; readonly text: string }>();
  /** Set while the user's callback runs, so the reader can tell the callback's own errors from its own. */
  inCallback = false;

  // The frame being decoded (fields rather than arguments threaded through every layer).
  private frame = 0;
  private seconds = 0;
  private nanoseconds = 0;
  private time = 0;
  /** The frame was captured shorter than it was on the wire (snap length). */
  private cut = false;

  constructor(
    private readonly stats: CaptureStats,
    private readonly onDatagram: (datagram: UdpDatagram) => void,
    limits?: ReassemblyLimits,
    private readonly onTcpSegment?: (segment: TcpSegment) => void,
  ) {
    this.fragments = new FragmentTable((count) => {
      this.stats.incompleteFragments += count;
    }, limits);
  }

  /** Decode one frame: `capturedLength` bytes at `start` of `buf`, `originalLength` on the wire. */
  decode(
    linkType: number,
    buf: Uint8Array,
    start: number,
    capturedLength: number,
    originalLength: number,
    frame: number,
    seconds: number,
    nanoseconds: number,
    time: number,
  ): void {
    this.frame = frame;
    this.seconds = seconds;
    this.nanoseconds = nanoseconds;
    this.time = time;
    this.cut = capturedLength < originalLength;
    const end = start + capturedLength;
    switch (linkType) {
      case LinkType.ETHERNET:
        if (capturedLength < 14) return this.skip();
        return this.etherPayload((buf[start + 12]! << 8) | buf[start + 13]!, buf, start + 14, end);
      case LinkType.LINUX_SLL:
        if (capturedLength < 16) return this.skip();
        return this.etherPayload((buf[start + 14]! << 8) | buf[start + 15]!, buf, start + 16, end);
      case LinkType.LINUX_SLL2:
        if (capturedLength < 20) return this.skip();
        return this.etherPayload((buf[start]! << 8) | buf[start + 1]!, buf, start + 20, end);
      case LinkType.RAW:
      case LinkType.RAW_12:
      case LinkType.RAW_14:
        if (capturedLength < 1) return this.skip();
        return this.ipByVersion(buf, start, end);
      case LinkType.IPV4:
        return this.ipv4(buf, start, end);
      case LinkType.IPV6:
        return this.ipv6(buf, start, end);
      case LinkType.NULL: {
        if (capturedLength < 4) return this.skip();
        // The family word is in the capturing host's byte order, which the file does not record: try both.
        const little = buf[start]! | (buf[start + 1]! << 8) | (buf[start + 2]! << 16) | (buf[start + 3]! << 24);
        const big = (buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!;
        return this.loopbackPayload(little === LoopbackFamily.INET || big === LoopbackFamily.INET, isInet6(little) || isInet6(big), buf, start + 4, end);
      }
      case LinkType.LOOP: {
        if (capturedLength < 4) return this.skip();
        const family = (buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!;
        return this.loopbackPayload(family === LoopbackFamily.INET, isInet6(family), buf, start + 4, end);
      }
      default:
        return this.skip();
    }
  }

  /** End of capture: fragments still waiting are incomplete. */
  finish(): void {
    this.fragments.dropAll();
  }

  private skip(): void {
    this.stats.skippedFrames++;
  }

  private loopbackPayload(inet: boolean, inet6: boolean, buf: Uint8Array, p: number, end: number): void {
    if (inet) return this.ipv4(buf, p, end);
    if (inet6) return this.ipv6(buf, p, end);
    return this.skip();
  }

  private etherPayload(etherType: number, buf: Uint8Array, p: number, end: number): void {
    let type = etherType;
    let offset = p;
    for (let tags = 0; type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD; tags++) {
      if (tags === MAX_VLAN_TAGS || offset + 4 > end) return this.skip();
      type = (buf[offset + 2]! << 8) | buf[offset + 3]!;
      offset += 4;
    }
    if (type === EtherType.IPV4) return this.ipv4(buf, offset, end);
    if (type === EtherType.IPV6) return this.ipv6(buf, offset, end);
    return this.skip();
  }

  private ipByVersion(buf: Uint8Array, p: number, end: number): void {
    const version = buf[p]! >> 4;
    if (version === 4) return this.ipv4(buf, p, end);
    if (version === 6) return this.ipv6(buf, p, end);
    return this.skip();
  }

  private ipv4(buf: Uint8Array, p: number, end: number): void {
    if (end - p < 20) return this.skip();
    const versionAndLength = buf[p]!;
    const headerLength = (versionAndLength & 15) * 4;
    if (versionAndLength >> 4 !== 4 || headerLength < 20) return this.skip();
    const totalLength = (buf[p + 2]! << 8) | buf[p + 3]!;
    if (totalLength < headerLength) return this.skip();
    if (buf[p + 9] !== IPPROTO_UDP) {
      if (buf[p + 9] === IPPROTO_TCP && this.onTcpSegment) {
        const flags = (buf[p + 6]! << 8) | buf[p + 7]!;
        // Unfragmented segments only: signalling segments are small.
        if ((flags & 0x3fff) === 0 && p + totalLength <= end) this.tcp(buf, p + headerLength, p + totalLength, this.ipv4Address(buf, p + 12), this.ipv4Address(buf, p + 16));
      }
      return this.skip();
    }
    const flagsAndOffset = (buf[p + 6]! << 8) | buf[p + 7]!;
    const moreFragments = (flagsAndOffset & 0x2000) !== 0;
    const fragmentOffset = (flagsAndOffset & 0x1fff) * 8;
    const ipEnd = p + totalLength;
    if (ipEnd > end) {
      // Cut by the snap length: the datagram cannot be delivered whole. Anything else claiming more than is there is malformed.
      if (this.cut && fragmentOffset === 0 && !moreFragments) this.stats.snapTruncatedDatagrams++;
      else if (this.cut) this.stats.incompleteFragments++;
      return this.skip();
    }
    const src = this.ipv4Address(buf, p + 12);
    const dst = this.ipv4Address(buf, p + 16);
    if (moreFragments || fragmentOffset !== 0) {
      const id = (buf[p + 4]! << 8) | buf[p + 5]!;
      const key = `4 ${src} ${dst} ${id}`;
      const whole = this.fragments.add(key, fragmentOffset, buf.subarray(p + headerLength, ipEnd), moreFragments, this.origin());
      if (whole) this.udp(whole.data, 0, whole.data.length, src, dst, whole.origin, true);
      return;
    }
    this.udp(buf, p + headerLength, ipEnd, src, dst, null, false);
  }

  private ipv6(buf: Uint8Array, p: number, end: number): void {
    if (end - p < 40 || buf[p]! >> 4 !== 6) return this.skip();
    const payloadLength = (buf[p + 4]! << 8) | buf[p + 5]!;
    // Payload length 0 means a jumbogram (hop-by-hop option): never RTP, not supported.
    if (payloadLength === 0) return this.skip();
    const ipEnd = p + 40 + payloadLength;
    const src = this.ipv6Address(buf, p + 8);
    const dst = this.ipv6Address(buf, p + 24);
    this.ipv6Upper(buf, buf[p + 6]!, p + 40, ipEnd, end, src, dst, null);
  }

  /** Walk IPv6 extension headers from `nextHeader` at `q` to UDP; `limit` is where captured bytes stop. */
  private ipv6Upper(
    buf: Uint8Array,
    nextHeader: number,
    q: number,
    ipEnd: number,
    end: number,
    src: string,
    dst: string,
    origin: FragmentOrigin | null,
  ): void {
    const limit = Math.min(ipEnd, end);
    let nh = nextHeader;
    let offset = q;
    for (let headers = 0; headers < MAX_IPV6_HEADERS; headers++) {
      switch (nh) {
        case IPPROTO_UDP:
          if (ipEnd > end) {
            if (this.cut) this.stats.snapTruncatedDatagrams++;
            return this.skip();
          }
          return this.udp(buf, offset, ipEnd, src, dst, origin, origin !== null);
        case IPPROTO_TCP:
          if (this.onTcpSegment && origin === null && ipEnd <= end) this.tcp(buf, offset, ipEnd, src, dst);
          return this.skip();
        case IPV6_HOP_BY_HOP:
        case IPV6_ROUTING:
        case IPV6_DEST_OPTS:
        case IPV6_MOBILITY:
        case IPV6_HIP:
        case IPV6_SHIM6:
          if (offset + 8 > limit) return this.skip();
          nh = buf[offset]!;
          offset += (buf[offset + 1]! + 1) * 8;
          break;
        case IPV6_AUTH:
          if (offset + 8 > limit) return this.skip();
          nh = buf[offset]!;
          offset += (buf[offset + 1]! + 2) * 4;
          break;
        case IPV6_FRAGMENT: {
          if (offset + 8 > limit || origin !== null) return this.skip();
          const fragmentNext = buf[offset]!;
          const offsetAndFlags = (buf[offset + 2]! << 8) | buf[offset + 3]!;
          const fragmentOffset = offsetAndFlags & 0xfff8;
          const moreFragments = (offsetAndFlags & 1) !== 0;
          if (fragmentOffset === 0 && !moreFragments) {
            // An "atomic" fragment (RFC 6946): the whole datagram, just carrying a fragment header.
            nh = fragmentNext;
            offset += 8;
            break;
          }
          if (ipEnd > end) {
            if (this.cut) this.stats.incompleteFragments++;
            return this.skip();
          }
          if (fragmentNext !== IPPROTO_UDP && fragmentNext !== IPV6_DEST_OPTS) return this.skip();
          const id = ((buf[offset + 4]! << 24) | (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!) >>> 0;
          const key = `6 ${src} ${dst} ${id}`;
          const whole = this.fragments.add(key, fragmentOffset, buf.subarray(offset + 8, ipEnd), moreFragments, this.origin());
          if (whole) this.ipv6Upper(whole.data, fragmentNext, 0, whole.data.length, whole.data.length, src, dst, whole.origin);
          return;
        }
        default:
          return this.skip();
      }
      if (offset > limit) return this.skip();
    }
    return this.skip();
  }

  private udp(buf: Uint8Array, u: number, ipEnd: number, src: string, dst: string, origin: FragmentOrigin | null, reassembled: boolean): void {
    if (ipEnd - u < 8) return this.skip();
    const length = (buf[u + 4]! << 8) | buf[u + 5]!;
    if (length < 8 || u + length > ipEnd) return this.skip();
    const datagram: UdpDatagram = {
      frame: origin ? origin.frame : this.frame,
      time: origin ? origin.time : this.time,
      seconds: origin ? origin.seconds : this.seconds,
      nanoseconds: origin ? origin.nanoseconds : this.nanoseconds,
      src,
      srcPort: (buf[u]! << 8) | buf[u + 1]!,
      dst,
      dstPort: (buf[u + 2]! << 8) | buf[u + 3]!,
      payload: buf.subarray(u + 8, u + length),
    };
    this.stats.udpDatagrams++;
    if (reassembled) this.stats.reassembledDatagrams++;
    this.inCallback = true;
    this.onDatagram(datagram);
    this.inCallback = false;
  }

  /** Hand a TCP segment's payload to the reader that asked for them (the frame stays counted as skipped). */
  private tcp(buf: Uint8Array, t: number, ipEnd: number, src: string, dst: string): void {
    if (ipEnd - t < 20) return;
    const dataOffset = (buf[t + 12]! >> 4) * 4;
    if (dataOffset < 20 || t + dataOffset > ipEnd) return;
    const payload = buf.subarray(t + dataOffset, ipEnd);
    if (payload.length === 0) return;
    const segment: TcpSegment = {
      frame: this.frame,
      time: this.time,
      src,
      srcPort: (buf[t]! << 8) | buf[t + 1]!,
      dst,
      dstPort: (buf[t + 2]! << 8) | buf[t + 3]!,
      sequence: ((buf[t + 4]! << 24) | (buf[t + 5]! << 16) | (buf[t + 6]! << 8) | buf[t + 7]!) >>> 0,
      payload,
    };
    this.inCallback = true;
    this.onTcpSegment!(segment);
    this.inCallback = false;
  }

  private origin(): FragmentOrigin {
    return { frame: this.frame, seconds: this.seconds, nanoseconds: this.nanoseconds, time: this.time };
  }

  private ipv6Address(buf: Uint8Array, offset: number): string {
    let hash = 0;
    for (let i = 0; i < 16; i += 4) {
      hash = Math.imul(hash ^ ((buf[offset + i]! << 24) | (buf[offset + i + 1]! << 16) | (buf[offset + i + 2]! << 8) | buf[offset + i + 3]!), 0x9e3779b1);
    }
    const cached = this.ipv6Text.get(hash);
    if (cached !== undefined && sameBytes(cached.bytes, buf, offset)) return cached.text;
    if (this.ipv6Text.size >= MAX_CACHED_ADDRESSES) this.ipv6Text.clear();
    const text = formatIpv6(buf, offset);
    this.ipv6Text.set(hash, { bytes: buf.slice(offset, offset + 16), text });
    return text;
  }

  private ipv4Address(buf: Uint8Array, offset: number): string {
    const key = ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
    let text = this.ipv4Text.get(key);
    if (text === undefined) {
      if (this.ipv4Text.size >= MAX_CACHED_ADDRESSES) this.ipv4Text.clear();
      text = formatIpv4(buf, offset);
      this.ipv4Text.set(key, text);
    }
    return text;
  }
}

function sameBytes(a: Uint8Array, buf: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== buf[offset + i]) return false;
  return true;
}

function isInet6(family: number): boolean {
  return family === LoopbackFamily.INET6_BSD || family === LoopbackFamily.INET6_FREEBSD || family === LoopbackFamily.INET6_DARWIN;
}
