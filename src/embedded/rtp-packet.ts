/** Fields of an RTP packet to serialise (RFC 3550). */
export interface RtpPacketFields {
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
  readonly marker?: boolean;
  readonly csrcs?: readonly number[];
  /** Header extension: profile and data (length a multiple of 4). */
  readonly extension?: { readonly profile: number; readonly data: Uint8Array };
  /** Padding octets to append (the last one holds the count), 0 for none. */
  readonly padding?: number;
}

/** Serialise an RTP packet: what a gateway puts in each UDP datagram. */
export function encodeRtpPacket(fields: RtpPacketFields): Uint8Array {
  const csrcs = fields.csrcs ?? [];
  const extensionBytes = fields.extension ? 4 + fields.extension.data.length : 0;
  if (fields.extension && fields.extension.data.length % 4 !== 0) throw new RangeError('RTP header extension length must be a multiple of 4');
  const padding = fields.padding ?? 0;
  const length = 12 + 4 * csrcs.length + extensionBytes + fields.payload.length + padding;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (fields.extension ? 0x10 : 0) | (csrcs.length & 0x0f);
  out[1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  view.setUint16(2, fields.sequence & 0xffff);
  view.setUint32(4, fields.timestamp >>> 0);
  view.setUint32(8, fields.ssrc >>> 0);
  let offset = 12;
  for (const csrc of csrcs) {
    view.setUint32(offset, csrc >>> 0);
    offset += 4;
  }
  if (fields.extension) {
    view.setUint16(offset, fields.extension.profile);
    view.setUint16(offset + 2, fields.extension.data.length / 4);
    out.set(fields.extension.data, offset + 4);
    offset += extensionBytes;
  }
  out.set(fields.payload, offset);
  offset += fields.payload.length;
  if (padding > 0) out[length - 1] = padding;
  return out;
}

/** An RFC 4733 telephone-event payload. */
export function encodeTelephoneEvent(event: number, end: boolean, volume: number, duration: number): Uint8Array {
  return Uint8Array.of(event & 0xff, (end ? 0x80 : 0) | (volume & 0x3f), (duration >> 8) & 0xff, duration & 0xff);
}
