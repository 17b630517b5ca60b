import { describe, expect, it } from 'vitest';
import { isRtcp, parseRtp, parseTelephoneEvent } from '../../src/rtp/index.js';
import { encodeRtpPacket, encodeTelephoneEvent } from '../../src/embedded/index.js';
import { mulberry32 } from '../../src/util/index.js';

const payload = Uint8Array.from({ length: 160 }, (_, i) => i);

describe('RTP header', () => {
  it('plain header', () => {
    const p = parseRtp(encodeRtpPacket({ payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload, marker: true }))!;
    expect(p).toMatchObject({ version: 2, padding: false, extension: false, marker: true, payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef });
    expect(Array.from(p.payload)).toEqual(Array.from(payload));
  });

  it('CSRCs, header extension and padding are stripped from the payload', () => {
    const bytes = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload, csrcs: [10, 20, 30], extension: { profile: 0xbede, data: Uint8Array.of(0x10, 0xaa, 0, 0, 0x21, 1, 2, 0) }, padding: 7 });
    const p = parseRtp(bytes)!;
    expect(p.csrcs).toEqual([10, 20, 30]);
    expect(p.extensionProfile).toBe(0xbede);
    expect(Array.from(p.extensionData!)).toEqual([0x10, 0xaa, 0, 0, 0x21, 1, 2, 0]);
    expect(p.padding).toBe(true);
    expect(Array.from(p.payload)).toEqual(Array.from(payload));
  });

  it('malformed packets are not RTP', () => {
    const good = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(4), csrcs: [1], padding: 2 });
    expect(parseRtp(good)).not.toBeNull();
    const badVersion = good.slice();
    badVersion[0] = (badVersion[0]! & 0x3f) | 0x40;
    expect(parseRtp(badVersion)).toBeNull();
    const hugePadding = good.slice();
    hugePadding[hugePadding.length - 1] = 200;
    expect(parseRtp(hugePadding)).toBeNull();
    const zeroPadding = good.slice();
    zeroPadding[zeroPadding.length - 1] = 0;
    expect(parseRtp(zeroPadding)).toBeNull();
    const extensionPastEnd = encodeRtpPacket({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(0), extension: { profile: 1, data: new Uint8Array(4) } });
    extensionPastEnd[15] = 200; // extension length in words
    expect(parseRtp(extensionPastEnd)).toBeNull();
    const csrcPastEnd = good.slice(0, 14);
    csrcPastEnd[0] = 0x8f;
    expect(parseRtp(csrcPastEnd)).toBeNull();
    expect(parseRtp(new Uint8Array(11))).toBeNull();
  });

  it('RTCP (sender and receiver reports, rtcp-mux) is recognised and not taken for RTP', () => {
    const sr = Uint8Array.of(0x80, 200, 0, 6, ...new Array<number>(24).fill(0));
    const rr = Uint8Array.of(0x81, 201, 0, 7, ...new Array<number>(28).fill(0));
    for (const packet of [sr, rr]) {
      expect(isRtcp(packet)).toBe(true);
      expect(parseRtp(packet)).toBeNull();
    }
    expect(isRtcp(encodeRtpPacket({ payloadType: 8, sequence: 1, timestamp: 1, ssrc: 1, payload }))).toBe(false);
  });

  it('RFC 4733 telephone events', () => {
    expect(parseTelephoneEvent(encodeTelephoneEvent(11, true, 10, 1280))).toEqual({ event: 11, end: true, volume: 10, duration: 1280 });
    expect(parseTelephoneEvent(Uint8Array.of(1, 2))).toBeNull();
  });

  it('fuzz: random and mutated packets never throw', () => {
    const random = mulberry32(42);
    const base = encodeRtpPacket({ payloadType: 8, sequence: 1, timestamp: 2, ssrc: 3, payload, csrcs: [1, 2], extension: { profile: 1, data: new Uint8Array(8) }, padding: 3 });
    let parsed = 0;
    for (let i = 0; i < 20000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
      } else {
        bytes = base.slice(0, Math.floor(random() * (base.length + 1)));
        for (let k = 0; k < 3; k++) if (bytes.length > 0) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const p = parseRtp(bytes);
      isRtcp(bytes);
      parseTelephoneEvent(bytes);
      if (p) {
        parsed++;
        expect(p.payload.byteOffset + p.payload.length).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });
});
