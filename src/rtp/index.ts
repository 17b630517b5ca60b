// Interim public face of src/rtp (the RTP/SIP engineer replaces this file with the full module; keep these names).
import type { RtpPacket, TelephoneEvent } from './types.js';
export type { RtpPacket, TelephoneEvent } from './types.js';

export function parseRtp(payload: Uint8Array): RtpPacket | null {
  if (payload.length < 12 || payload[0]! >> 6 !== 2) return null;
  const b0 = payload[0]!;
  const b1 = payload[1]!;
  if (b1 >= 200 && b1 <= 204) return null;
  const csrcCount = b0 & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (offset > payload.length) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(view.getUint32(12 + 4 * i));
  const extension = (b0 & 0x10) !== 0;
  let extensionProfile: number | undefined;
  let extensionData: Uint8Array | undefined;
  if (extension) {
    if (offset + 4 > payload.length) return null;
    extensionProfile = view.getUint16(offset);
    const words = view.getUint16(offset + 2);
    if (offset + 4 + 4 * words > payload.length) return null;
    extensionData = payload.subarray(offset + 4, offset + 4 + 4 * words);
    offset += 4 + 4 * words;
  }
  let end = payload.length;
  const padding = (b0 & 0x20) !== 0;
  if (padding) {
    const count = payload[payload.length - 1]!;
    if (count === 0 || end - count < offset) return null;
    end -= count;
  }
  return {
    version: 2,
    padding,
    extension,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    ...(extensionProfile !== undefined ? { extensionProfile, extensionData: extensionData! } : {}),
    payload: payload.subarray(offset, end),
  };
}

export function isRtcp(payload: Uint8Array): boolean {
  return payload.length >= 8 && payload[0]! >> 6 === 2 && payload[1]! >= 192 && payload[1]! <= 223;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | null {
  if (payload.length < 4) return null;
  return { event: payload[0]!, end: (payload[1]! & 0x80) !== 0, volume: payload[1]! & 0x3f, duration: (payload[2]! << 8) | payload[3]! };
}
