import { describe, expect, it } from 'vitest';
import { headerExtensionElements, isRtcp, parseRtp, parseTelephoneEvent } from '../../../src/media/rtp/index.js';
import { encodeRtpPacket, encodeTelephoneEvent } from '../../../src/embedded/index.js';

const payload = Uint8Array.from({ length: 160 }, (_, i) => i);

/** An RTCP packet of the given type with `words` 32-bit words after the 4-octet header (RFC 3550 §6.4). */
function rtcpPacket(type: number, count: number, words: number): Uint8Array {
  const out = new Uint8Array(4 + 4 * words);
  out[0] = 0x80 | count;
  out[1] = type;
  out[2] = words >> 8;
  out[3] = words & 0xff;
  return out;
}

describe('RTP header (RFC 3550)', () => {
  it('plain header with marker, sequence and timestamp at their limits', () => {
    const p = parseRtp(encodeRtpPacket({ payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload, marker: true }))!;
    expect(p).toMatchObject({ version: 2, padding: false, extension: false, marker: true, payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, csrcs: [] });
    expect(p.extensionProfile).toBeUndefined();
    expect(Array.from(p.payload)).toEqual(Array.from(payload));
    const q = parseRtp(encodeRtpPacket({ payloadType: 127, sequence: 0, timestamp: 0, ssrc: 0, payload }))!;
    expect(q).toMatchObject({ marker: false, payloadType: 127, sequence: 0, timestamp: 0, ssrc: 0 });
  });

  it('CSRCs, header extension and padding are stripped from the payload, which stays a view', () => {
    const bytes = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload, csrcs: [10, 20, 0xffffffff], extension: { profile: 0xbede, data: Uint8Array.of(0x10, 0xaa, 0, 0, 0x21, 1, 2, 0) }, padding: 7 });
    const p = parseRtp(bytes)!;
    expect(p.csrcs).toEqual([10, 20, 0xffffffff]);
    expect(p.extension).toBe(true);
    expect(p.extensionProfile).toBe(0xbede);
    expect(Array.from(p.extensionData!)).toEqual([0x10, 0xaa, 0, 0, 0x21, 1, 2, 0]);
    expect(p.padding).toBe(true);
    expect(Array.from(p.payload)).toEqual(Array.from(payload));
    expect(p.payload.buffer).toBe(bytes.buffer);
    expect(p.payload.byteOffset).toBe(12 + 12 + 12);
  });

  it('padding that is the whole payload, and a zero-length extension', () => {
    const onlyPadding = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(0), padding: 4 });
    expect(parseRtp(onlyPadding)!.payload.length).toBe(0);
    const emptyExtension = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload, extension: { profile: 0x1000, data: new Uint8Array(0) } });
    const p = parseRtp(emptyExtension)!;
    expect(p.extensionData!.length).toBe(0);
    expect(p.payload.length).toBe(160);
  });

  it('RFC 8285 one-byte and two-byte extension elements', () => {
    // One-byte form: id 1 len 1 (audio level), padding, id 2 len 3.
    const one = headerExtensionElements(0xbede, Uint8Array.of(0x10, 0x85, 0x00, 0x22, 1, 2, 3, 0))!;
    expect(one.map((e) => [e.id, Array.from(e.data)])).toEqual([
      [1, [0x85]],
      [2, [1, 2, 3]],
    ]);
    // Two-byte form: id 5 len 2, id 6 len 0.
    const two = headerExtensionElements(0x1000, Uint8Array.of(5, 2, 0xaa, 0xbb, 6, 0, 0, 0))!;
    expect(two.map((e) => [e.id, Array.from(e.data)])).toEqual([
      [5, [0xaa, 0xbb]],
      [6, []],
    ]);
    expect(headerExtensionElements(0x1234, new Uint8Array(4))).toBeNull();
    expect(headerExtensionElements(0xbede, Uint8Array.of(0x1f, 1, 2, 3))).toBeNull(); // an element of 16 octets runs past the 3 that follow
  });

  it('malformed packets are not RTP', () => {
    const good = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(4), csrcs: [1], padding: 2 });
    expect(parseRtp(good)).not.toBeNull();
    for (const version of [0, 1, 3]) {
      const bad = good.slice();
      bad[0] = (bad[0]! & 0x3f) | (version << 6);
      expect(parseRtp(bad)).toBeNull();
    }
    const hugePadding = good.slice();
    hugePadding[hugePadding.length - 1] = 200;
    expect(parseRtp(hugePadding)).toBeNull();
    const paddingIntoHeader = good.slice();
    paddingIntoHeader[paddingIntoHeader.length - 1] = 7; // 4 payload + 2 padding octets: 7 would eat the CSRC
    expect(parseRtp(paddingIntoHeader)).toBeNull();
    const zeroPadding = good.slice();
    zeroPadding[zeroPadding.length - 1] = 0;
    expect(parseRtp(zeroPadding)).toBeNull();
    const extensionPastEnd = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(0), extension: { profile: 1, data: new Uint8Array(4) } });
    expect(parseRtp(extensionPastEnd)).not.toBeNull();
    extensionPastEnd[15] = 2; // extension length in words: one word more than there is
    expect(parseRtp(extensionPastEnd)).toBeNull();
    const extensionHeaderCut = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(0), extension: { profile: 1, data: new Uint8Array(0) } }).subarray(0, 14);
    expect(parseRtp(extensionHeaderCut)).toBeNull();
    const csrcPastEnd = good.slice(0, 14);
    csrcPastEnd[0] = 0x8f; // 15 CSRCs announced
    expect(parseRtp(csrcPastEnd)).toBeNull();
    expect(parseRtp(new Uint8Array(11).fill(0x80))).toBeNull();
    expect(parseRtp(new Uint8Array(0))).toBeNull();
  });

  it('RTCP (SR, RR, SDES, BYE, feedback, XR) is recognised and not taken for RTP, on the RTP port (rtcp-mux) or port + 1', () => {
    const sr = rtcpPacket(200, 0, 6);
    const rr = rtcpPacket(201, 1, 7);
    const compound = Uint8Array.from([...rr, ...rtcpPacket(202, 1, 3), ...rtcpPacket(203, 1, 1)]);
    for (const packet of [sr, rr, compound, rtcpPacket(205, 1, 2), rtcpPacket(206, 1, 2), rtcpPacket(207, 0, 1), rtcpPacket(192, 0, 1), rtcpPacket(223, 0, 1)]) {
      expect(isRtcp(packet)).toBe(true);
      expect(parseRtp(packet)).toBeNull();
    }
    // An RTCP type whose length field runs past the datagram is not RTCP, and not RTP either.
    const cut = rtcpPacket(200, 0, 6).subarray(0, 20);
    expect(isRtcp(cut)).toBe(false);
    expect(parseRtp(cut)).toBeNull();
    // RTP with the marker set is still RTP as long as its type is outside 64–95 (RFC 5761 §4).
    const marked = encodeRtpPacket({ payloadType: 8, sequence: 1, timestamp: 1, ssrc: 1, payload, marker: true });
    expect(isRtcp(marked)).toBe(false);
    expect(parseRtp(marked)).not.toBeNull();
    expect(isRtcp(encodeRtpPacket({ payloadType: 127, sequence: 1, timestamp: 1, ssrc: 1, payload, marker: true }))).toBe(false);
    expect(isRtcp(Uint8Array.of(0x80, 200, 0, 1))).toBe(false);
  });

  it('RFC 4733 telephone event payload', () => {
    expect(parseTelephoneEvent(encodeTelephoneEvent(11, true, 10, 1280))).toEqual({ event: 11, end: true, volume: 10, duration: 1280 });
    expect(parseTelephoneEvent(Uint8Array.of(5, 0x7f, 0xff, 0xff))).toEqual({ event: 5, end: false, volume: 63, duration: 65535 });
    expect(parseTelephoneEvent(Uint8Array.of(1, 2))).toBeNull();
  });
});
