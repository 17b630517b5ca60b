/**
 * Builders for test and fixture frames: UDP over IPv4/IPv6, wrapped in any link layer the reader supports.
 * Checksums (IPv4 header, UDP) are computed, so tshark and other tools see well-formed packets.
 */
import { parseIpAddress } from './address.js';
import { EtherType, LinkType, LoopbackFamily } from './constants.js';

/** One 802.1Q/802.1ad tag. A bare number is a VLAN id with TPID 0x8100. */
export interface VlanTag {
  readonly id: number;
  /** Tag protocol identifier: 0x8100 (802.1Q), 0x88a8 (802.1ad QinQ) or 0x9100 (old QinQ). Default 0x8100. */
  readonly tpid?: number;
  /** Priority code point 0–7. */
  readonly priority?: number;
}

/** How to wrap an IP packet (or another network-layer payload) in a link layer. */
export interface LinkOptions {
  /** LINKTYPE_* number, see LinkType. */
  readonly linkType: number;
  /** Ethernet/SLL only: tags from the outermost inwards. */
  readonly vlanTags?: ReadonlyArray<VlanTag | number>;
  /** Ethernet/SLL: the protocol of the payload; by default taken from the IP version nibble. */
  readonly etherType?: number;
  readonly srcMac?: Uint8Array;
  readonly dstMac?: Uint8Array;
  /** NULL (0) only: byte order of the family word (that of the capturing host). Default little. */
  readonly loopbackByteOrder?: 'little' | 'big';
  /** NULL/LOOP only: the AF_INET6 value to write (24 BSD, 28 FreeBSD, 30 macOS). Default 24 for LOOP, 30 for NULL. */
  readonly inet6Family?: number;
  /** SLL/SLL2: packet type (0 to us, 4 sent by us). Default 0. */
  readonly sllPacketType?: number;
}

export interface Ipv4Options {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly id?: number;
  readonly ttl?: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  /** In bytes; must be a multiple of 8. */
  readonly fragmentOffset?: number;
  /** IP options, padded to a multiple of 4 bytes (raises IHL). */
  readonly options?: Uint8Array;
}

/** An IPv6 extension header to place between the fixed header and the payload. */
export interface Ipv6ExtensionHeader {
  /** 0 hop-by-hop, 43 routing, 60 destination options, 44 fragment (use fragmentIpv6 for real fragments). */
  readonly type: number;
  /** Header body after the next-header byte (padded so the whole header is a multiple of 8 bytes). */
  readonly body?: Uint8Array;
}

export interface Ipv6Options {
  readonly src: string;
  readonly dst: string;
  readonly nextHeader: number;
  readonly payload: Uint8Array;
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly extensionHeaders?: ReadonlyArray<Ipv6ExtensionHeader>;
}

export interface UdpPacketOptions {
  /** Dotted IPv4 or IPv6 text; IPv6 when it contains ':'. Both addresses must be of one family. */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
  /** IPv4 identification (default 0). */
  readonly ipId?: number;
  readonly ttl?: number;
  readonly ipv6ExtensionHeaders?: ReadonlyArray<Ipv6ExtensionHeader>;
}

export type UdpFrameOptions = UdpPacketOptions & LinkOptions;

const IPPROTO_UDP = 17;
const DEFAULT_SRC_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 1);
const DEFAULT_DST_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 2);

export function concatBytes(parts: ReadonlyArray<Uint8Array>): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Internet checksum (RFC 1071) over the given parts, as if concatenated (each part but the last of even length). */
function internetChecksum(parts: ReadonlyArray<Uint8Array>): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i + 1 < part.length; i += 2) sum += (part[i]! << 8) | part[i + 1]!;
    if (part.length % 2 === 1) sum += part[part.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function writeU16(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >> 8) & 0xff;
  out[offset + 1] = value & 0xff;
}

/** A UDP header + payload; the checksum needs the IP addresses (pseudo-header). */
export function buildUdpSegment(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const length = 8 + payload.length;
  if (length > 0xffff) throw new RangeError(`UDP payload of ${payload.length} bytes does not fit a datagram`);
  const segment = new Uint8Array(length);
  writeU16(segment, 0, srcPort);
  writeU16(segment, 2, dstPort);
  writeU16(segment, 4, length);
  segment.set(payload, 8);
  const pseudo =
    src.length === 4
      ? Uint8Array.of(...src, ...dst, 0, IPPROTO_UDP, length >> 8, length & 0xff)
      : Uint8Array.of(...src, ...dst, 0, 0, length >> 8, length & 0xff, 0, 0, 0, IPPROTO_UDP);
  const checksum = internetChecksum([pseudo, segment]);
  // A computed 0 is sent as 0xffff (0 means "no checksum").
  writeU16(segment, 6, checksum === 0 ? 0xffff : checksum);
  return segment;
}

export function buildIpv4Packet(options: Ipv4Options): Uint8Array {
  const ipOptions = options.options ?? new Uint8Array(0);
  const optionBytes = (ipOptions.length + 3) & ~3;
  const headerLength = 20 + optionBytes;
  if (headerLength > 60) throw new RangeError('IPv4 options longer than 40 bytes');
  const fragmentOffset = options.fragmentOffset ?? 0;
  if (fragmentOffset % 8 !== 0) throw new RangeError('IPv4 fragment offset must be a multiple of 8');
  const total = headerLength + options.payload.length;
  if (total > 0xffff) throw new RangeError(`IPv4 packet of ${total} bytes is too long`);
  const packet = new Uint8Array(total);
  packet[0] = 0x40 | (headerLength / 4);
  writeU16(packet, 2, total);
  writeU16(packet, 4, options.id ?? 0);
  writeU16(packet, 6, (options.dontFragment ? 0x4000 : 0) | (options.moreFragments ? 0x2000 : 0) | (fragmentOffset / 8));
  packet[8] = options.ttl ?? 64;
  packet[9] = options.protocol;
  packet.set(ipv4Bytes(options.src), 12);
  packet.set(ipv4Bytes(options.dst), 16);
  packet.set(ipOptions, 20);
  writeU16(packet, 10, internetChecksum([packet.subarray(0, headerLength)]));
  packet.set(options.payload, headerLength);
  return packet;
}

export function buildIpv6Packet(options: Ipv6Options): Uint8Array {
  const headers = options.extensionHeaders ?? [];
  const encoded: Uint8Array[] = [];
  headers.forEach((header, i) => {
    const next = i + 1 < headers.length ? headers[i + 1]!.type : options.nextHeader;
    const body = header.body ?? new Uint8Array(6);
    const size = Math.max(8, (2 + body.length + 7) & ~7);
    const bytes = new Uint8Array(size);
    bytes[0] = next;
    bytes[1] = size / 8 - 1;
    bytes.set(body, 2);
    if (header.type === 44) bytes[1] = 0; // the fragment header's second byte is reserved, its size fixed at 8
    encoded.push(bytes);
  });
  const payload = concatBytes([...encoded, options.payload]);
  if (payload.length > 0xffff) throw new RangeError(`IPv6 payload of ${payload.length} bytes is too long`);
  const packet = new Uint8Array(40 + payload.length);
  const trafficClass = options.trafficClass ?? 0;
  const flowLabel = options.flowLabel ?? 0;
  packet[0] = 0x60 | (trafficClass >> 4);
  packet[1] = ((trafficClass & 15) << 4) | ((flowLabel >> 16) & 15);
  writeU16(packet, 2, flowLabel & 0xffff);
  writeU16(packet, 4, payload.length);
  packet[6] = headers.length > 0 ? headers[0]!.type : options.nextHeader;
  packet[7] = options.hopLimit ?? 64;
  packet.set(ipv6Bytes(options.src), 8);
  packet.set(ipv6Bytes(options.dst), 24);
  packet.set(payload, 40);
  return packet;
}

/** A UDP datagram in an IPv4 or IPv6 packet (family from the address text). */
export function buildUdpPacket(options: UdpPacketOptions): Uint8Array {
  const src = parseIpAddress(options.src);
  const dst = parseIpAddress(options.dst);
  if (src.length !== dst.length) throw new Error(`addresses of different families: ${options.src} and ${options.dst}`);
  const segment = buildUdpSegment(src, dst, options.srcPort, options.dstPort, options.payload);
  const addresses = { src: options.src, dst: options.dst };
  if (src.length === 4) {
    const ipv4Options = { ...(options.ipId !== undefined ? { id: options.ipId } : {}), ...(options.ttl !== undefined ? { ttl: options.ttl } : {}) };
    return buildIpv4Packet({ ...addresses, protocol: IPPROTO_UDP, payload: segment, ...ipv4Options });
  }
  const ipv6Options = {
    ...(options.ttl !== undefined ? { hopLimit: options.ttl } : {}),
    ...(options.ipv6ExtensionHeaders ? { extensionHeaders: options.ipv6ExtensionHeaders } : {}),
  };
  return buildIpv6Packet({ ...addresses, nextHeader: IPPROTO_UDP, payload: segment, ...ipv6Options });
}

/** A complete link-layer frame carrying one UDP datagram. */
export function buildUdpFrame(options: UdpFrameOptions): Uint8Array {
  return wrapInLinkLayer(buildUdpPacket(options), options);
}

/** One flow's addresses, ports and link layer: what stays the same from one of its frames to the next. */
export type UdpFlowOptions = Omit<UdpFrameOptions, 'payload' | 'ipId'>;

/**
 * Frames of one UDP flow, byte for byte what buildUdpFrame gives, made from a prototype frame: per datagram one
 * allocation, the payload copied once, and the checksums completed from the flow's precomputed sums. The
 * embedded PBX writes every RTP packet of its captures through one of these (buildUdpFrame parsed both
 * addresses, spread them into a pseudo-header and joined four arrays per packet: with a few hundred calls at
 * once that was most of the simulator's time). IPv6 flows take buildUdpFrame itself.
 */
export function udpFlowFrames(flow: UdpFlowOptions): (payload: Uint8Array, ipId: number) => Uint8Array {
  if (parseIpAddress(flow.src).length !== 4) return (payload, ipId) => buildUdpFrame({ ...flow, payload, ipId });
  const prototype = buildUdpFrame({ ...flow, payload: new Uint8Array(0), ipId: 0 });
  const ip = prototype.length - 28;
  const udp = ip + 20;
  // The IPv4 header's words except total length, id and checksum; the UDP checksum's words except the lengths
  // and the payload (pseudo-header addresses and protocol, both ports).
  let ipBase = 0;
  for (let i = ip; i < udp; i += 2) if (i !== ip + 2 && i !== ip + 4 && i !== ip + 10) ipBase += (prototype[i]! << 8) | prototype[i + 1]!;
  let udpBase = IPPROTO_UDP + flow.srcPort + flow.dstPort;
  for (let i = ip + 12; i < udp; i += 2) udpBase += (prototype[i]! << 8) | prototype[i + 1]!;
  const fold = (sum: number): number => {
    while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
    return ~sum & 0xffff;
  };
  return (payload, ipId) => {
    const frame = new Uint8Array(prototype.length + payload.length);
    frame.set(prototype);
    frame.set(payload, prototype.length);
    const total = 28 + payload.length;
    if (total > 0xffff) throw new RangeError(`IPv4 packet of ${total} bytes is too long`);
    const id = ipId & 0xffff;
    writeU16(frame, ip + 2, total);
    writeU16(frame, ip + 4, id);
    writeU16(frame, ip + 10, fold(ipBase + total + id));
    const length = 8 + payload.length;
    writeU16(frame, udp + 4, length);
    let sum = udpBase + 2 * length;
    const n = payload.length;
    for (let i = 0; i + 1 < n; i += 2) sum += (payload[i]! << 8) | payload[i + 1]!;
    if (n % 2 === 1) sum += payload[n - 1]! << 8;
    const checksum = fold(sum);
    writeU16(frame, udp + 6, checksum === 0 ? 0xffff : checksum);
    return frame;
  };
}

/** Put a network-layer packet (IPv4, IPv6, or with `etherType` anything else) in the given link layer. */
export function wrapInLinkLayer(packet: Uint8Array, link: LinkOptions): Uint8Array {
  const version = packet.length > 0 ? packet[0]! >> 4 : 0;
  const etherType = link.etherType ?? (version === 6 ? EtherType.IPV6 : EtherType.IPV4);
  switch (link.linkType) {
    case LinkType.ETHERNET: {
      const header = new Uint8Array(12);
      header.set(link.dstMac ?? DEFAULT_DST_MAC, 0);
      header.set(link.srcMac ?? DEFAULT_SRC_MAC, 6);
      return concatBytes([header, vlanAndType(link.vlanTags, etherType), packet]);
    }
    case LinkType.LINUX_SLL: {
      // SLL carries one protocol field; VLAN tags, when kept, follow it as in Ethernet.
      const header = new Uint8Array(14);
      writeU16(header, 0, link.sllPacketType ?? 0);
      writeU16(header, 2, 1); // ARPHRD_ETHER
      writeU16(header, 4, 6);
      header.set(link.srcMac ?? DEFAULT_SRC_MAC, 6);
      return concatBytes([header, vlanAndType(link.vlanTags, etherType), packet]);
    }
    case LinkType.LINUX_SLL2: {
      const tags = vlanAndType(link.vlanTags, etherType);
      const header = new Uint8Array(20);
      header.set(tags.subarray(0, 2), 0);
      writeU16(header, 4, 0);
      header[7] = 1; // interface index 1
      writeU16(header, 8, 1); // ARPHRD_ETHER
      header[10] = link.sllPacketType ?? 0;
      header[11] = 6;
      header.set(link.srcMac ?? DEFAULT_SRC_MAC, 12);
      return concatBytes([header, tags.subarray(2), packet]);
    }
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return packet.slice();
    case LinkType.NULL: {
      const family = version === 6 ? (link.inet6Family ?? LoopbackFamily.INET6_DARWIN) : LoopbackFamily.INET;
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, family, (link.loopbackByteOrder ?? 'little') === 'little');
      return concatBytes([header, packet]);
    }
    case LinkType.LOOP: {
      const family = version === 6 ? (link.inet6Family ?? LoopbackFamily.INET6_BSD) : LoopbackFamily.INET;
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, family, false);
      return concatBytes([header, packet]);
    }
    default:
      throw new RangeError(`cannot build frames for link type ${link.linkType}`);
  }
}

/** The tag words and the final EtherType: [tpid, tci]… type. */
function vlanAndType(tags: ReadonlyArray<VlanTag | number> | undefined, etherType: number): Uint8Array {
  const list = tags ?? [];
  const out = new Uint8Array(list.length * 4 + 2);
  list.forEach((tag, i) => {
    const spec: VlanTag = typeof tag === 'number' ? { id: tag } : tag;
    writeU16(out, i * 4, spec.tpid ?? EtherType.VLAN);
    writeU16(out, i * 4 + 2, ((spec.priority ?? 0) << 13) | (spec.id & 0xfff));
  });
  writeU16(out, list.length * 4, etherType);
  return out;
}

/**
 * Split an IPv4 packet into fragments whose payloads hold at most `maxPayloadBytes` (rounded down to a multiple of 8).
 * The header (with options) is copied into every fragment, as RFC 791 allows for simplicity.
 */
export function fragmentIpv4(packet: Uint8Array, maxPayloadBytes: number): Uint8Array[] {
  const headerLength = (packet[0]! & 15) * 4;
  const total = (packet[2]! << 8) | packet[3]!;
  const step = maxPayloadBytes & ~7;
  if (step < 8) throw new RangeError('fragments must carry at least 8 bytes');
  const payload = packet.subarray(headerLength, total);
  const header = packet.subarray(0, headerLength);
  const fragments: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += step) {
    const piece = payload.subarray(offset, Math.min(payload.length, offset + step));
    const more = offset + step < payload.length;
    const fragment = new Uint8Array(headerLength + piece.length);
    fragment.set(header);
    writeU16(fragment, 2, fragment.length);
    writeU16(fragment, 6, (more ? 0x2000 : 0) | (offset / 8));
    writeU16(fragment, 10, 0);
    writeU16(fragment, 10, internetChecksum([fragment.subarray(0, headerLength)]));
    fragment.set(piece, headerLength);
    fragments.push(fragment);
  }
  return fragments;
}

/**
 * Split an IPv6 packet (without extension headers) into fragments with a Fragment header;
 * each carries at most `maxPayloadBytes` (rounded down to a multiple of 8) of the original payload.
 */
export function fragmentIpv6(packet: Uint8Array, maxPayloadBytes: number, identification: number): Uint8Array[] {
  const nextHeader = packet[6]!;
  const payload = packet.subarray(40, 40 + ((packet[4]! << 8) | packet[5]!));
  const step = maxPayloadBytes & ~7;
  if (step < 8) throw new RangeError('fragments must carry at least 8 bytes');
  const fragments: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += step) {
    const piece = payload.subarray(offset, Math.min(payload.length, offset + step));
    const more = offset + step < payload.length;
    const fragment = new Uint8Array(48 + piece.length);
    fragment.set(packet.subarray(0, 40));
    writeU16(fragment, 4, 8 + piece.length);
    fragment[6] = 44;
    fragment[40] = nextHeader;
    writeU16(fragment, 42, offset | (more ? 1 : 0));
    new DataView(fragment.buffer).setUint32(44, identification >>> 0, false);
    fragment.set(piece, 48);
    fragments.push(fragment);
  }
  return fragments;
}

function ipv4Bytes(text: string): Uint8Array {
  const bytes = parseIpAddress(text);
  if (bytes.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  return bytes;
}

function ipv6Bytes(text: string): Uint8Array {
  const bytes = parseIpAddress(text);
  if (bytes.length !== 16) throw new Error(`not an IPv6 address: ${text}`);
  return bytes;
}
