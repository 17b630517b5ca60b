// RTP fixed header (RFC 3550 §5.1) and the RTP/RTCP demultiplexing rule (RFC 5761 §4).
import type { RtpPacket } from './types.js';

const NO_CSRCS: readonly number[] = Object.freeze([]);

function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Smallest RTCP packet: a receiver report with no report blocks (RFC 3550 §6.4.2). */
const MIN_RTCP_BYTES = 8;

/**
 * True when the datagram is RTCP: version 2 and a second octet of 192–223
 * (RFC 5761 §4: the RTCP packet types SR 200, RR 201, SDES 202, BYE 203,
 * APP 204, RTPFB 205, PSFB 206, XR 207… all fall there, and RTP payload
 * types 64–95 with the marker bit, which would collide, are not used). The
 * first packet's length field must fit in the datagram. The same rule serves
 * rtcp-mux (RTCP on the RTP port) and RTCP on port + 1.
 */
export function isRtcp(payload: Uint8Array): boolean {
  if (payload.length < MIN_RTCP_BYTES) return false;
  const b0 = payload[0]!;
  const b1 = payload[1]!;
  if (b0 >> 6 !== 2 || b1 < 192 || b1 > 223) return false;
  // Length field: 32-bit words minus one (RFC 3550 §6.4.1).
  return (u16(payload, 2) + 1) * 4 <= payload.length;
}

/**
 * Parse an RTP packet; null when the bytes are not plausibly RTP: shorter than
 * the fixed header, version other than 2, an RTCP packet type in the second
 * octet (RFC 5761), a CSRC list or header extension running past the end, or
 * a padding count of zero or larger than what is left after the headers.
 * Hot path: allocates the result object, a CSRC array only when there are
 * CSRCs, and subarray views (no copies).
 */
export function parseRtp(payload: Uint8Array): RtpPacket | null {
  const length = payload.length;
  if (length < 12) return null;
  const b0 = payload[0]!;
  if (b0 >> 6 !== 2) return null;
  const b1 = payload[1]!;
  if (b1 >= 192 && b1 <= 223) return null;
  const csrcCount = b0 & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (offset > length) return null;
  let csrcs = NO_CSRCS;
  if (csrcCount > 0) {
    const list = new Array<number>(csrcCount);
    for (let i = 0; i < csrcCount; i++) list[i] = u32(payload, 12 + 4 * i);
    csrcs = list;
  }
  const extension = (b0 & 0x10) !== 0;
  let extensionProfile: number | undefined;
  let extensionData: Uint8Array | undefined;
  if (extension) {
    if (offset + 4 > length) return null;
    extensionProfile = u16(payload, offset);
    const bytes = 4 * u16(payload, offset + 2);
    if (offset + 4 + bytes > length) return null;
    extensionData = payload.subarray(offset + 4, offset + 4 + bytes);
    offset += 4 + bytes;
  }
  let end = length;
  const padding = (b0 & 0x20) !== 0;
  if (padding) {
    // The last octet counts the padding octets, itself included (RFC 3550 §5.1), so it is at least 1.
    const count = payload[length - 1]!;
    if (count === 0 || end - count < offset) return null;
    end -= count;
  }
  // Every field is always present (undefined when absent) so all packets share one object shape.
  return {
    version: 2,
    padding,
    extension,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: u16(payload, 2),
    timestamp: u32(payload, 4),
    ssrc: u32(payload, 8),
    csrcs,
    extensionProfile,
    extensionData,
    payload: payload.subarray(offset, end),
  };
}

/** One element of an RFC 8285 general header extension. */
export interface HeaderExtensionElement {
  /** Local identifier (1–14 in the one-byte form, 1–255 in the two-byte form). */
  readonly id: number;
  readonly data: Uint8Array;
}

/**
 * Split RFC 8285 header extension data into its elements: the one-byte form
 * (profile 0xBEDE) and the two-byte form (profile 0x100X). Null for another
 * profile or elements that run past the data. The parser keeps the extension
 * raw; this is for callers that want an element (e.g. audio level, RFC 6464).
 */
export function headerExtensionElements(profile: number, data: Uint8Array): HeaderExtensionElement[] | null {
  const oneByte = profile === 0xbede;
  if (!oneByte && (profile & 0xfff0) !== 0x1000) return null;
  const elements: HeaderExtensionElement[] = [];
  let i = 0;
  while (i < data.length) {
    const first = data[i]!;
    if (first === 0) {
      i++; // padding octet between elements
      continue;
    }
    let id: number;
    let size: number;
    if (oneByte) {
      id = first >> 4;
      if (id === 15) break; // reserved: stop processing (RFC 8285 §4.2)
      size = (first & 0x0f) + 1;
      i += 1;
    } else {
      if (i + 1 >= data.length) return null;
      id = first;
      size = data[i + 1]!;
      i += 2;
    }
    if (i + size > data.length) return null;
    elements.push({ id, data: data.subarray(i, i + size) });
    i += size;
  }
  return elements;
}
