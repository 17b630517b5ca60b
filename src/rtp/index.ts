// Interim public face of src/rtp (the RTP/SIP engineer replaces this file with the full module; keep these names).
import type { RtpPacket, TelephoneEvent } from './types.js';
export type { RtpPacket, TelephoneEvent } from './types.js';

const NO_CSRCS: readonly number[] = Object.freeze([]);

function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Parse an RTP packet; null when the bytes are not RTP (hot path: one object and one payload view per packet). */
export function parseRtp(payload: Uint8Array): RtpPacket | null {
  const length = payload.length;
  if (length < 12) return null;
  const b0 = payload[0]!;
  if (b0 >> 6 !== 2) return null;
  const b1 = payload[1]!;
  if (b1 >= 200 && b1 <= 204) return null; // RTCP SR/RR/SDES/BYE/APP
  const csrcCount = b0 & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (offset > length) return null;
  let csrcs = NO_CSRCS;
  if (csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < csrcCount; i++) list.push(u32(payload, 12 + 4 * i));
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
    const count = payload[length - 1]!;
    if (count === 0 || end - count < offset) return null;
    end -= count;
  }
  const packet: RtpPacket = {
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
  return packet;
}

export function isRtcp(payload: Uint8Array): boolean {
  return payload.length >= 8 && payload[0]! >> 6 === 2 && payload[1]! >= 192 && payload[1]! <= 223;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | null {
  if (payload.length < 4) return null;
  return { event: payload[0]!, end: (payload[1]! & 0x80) !== 0, volume: payload[1]! & 0x3f, duration: (payload[2]! << 8) | payload[3]! };
}
