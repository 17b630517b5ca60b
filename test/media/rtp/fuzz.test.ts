import { describe, expect, it } from 'vitest';
import { DtmfCollector, RtpFlowDetector, headerExtensionElements, isRtcp, parseComfortNoise, parseRtp, parseTelephoneEvents } from '../../../src/media/rtp/index.js';
import { encodeRtpPacket } from '../../../src/embedded/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';

/** A plain reading of RFC 3550 §5.1, written independently of the parser, to compare field by field. */
function referenceParse(bytes: Uint8Array): { pt: number; seq: number; ts: number; ssrc: number; csrcs: number[]; start: number; end: number } | null {
  if (bytes.length < 12) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint8(0);
  if (first >>> 6 !== 2) return null;
  const second = view.getUint8(1);
  if (second >= 192 && second <= 223) return null;
  const cc = first & 15;
  let start = 12 + cc * 4;
  if (bytes.length < start) return null;
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(view.getUint32(12 + 4 * i));
  if (first & 16) {
    if (bytes.length < start + 4) return null;
    start += 4 + view.getUint16(start + 2) * 4;
    if (bytes.length < start) return null;
  }
  let end = bytes.length;
  if (first & 32) {
    const pad = view.getUint8(bytes.length - 1);
    if (pad < 1 || end - pad < start) return null;
    end -= pad;
  }
  return { pt: second & 127, seq: view.getUint16(2), ts: view.getUint32(4), ssrc: view.getUint32(8), csrcs, start, end };
}

describe('RTP fuzz (seeded)', () => {
  it('random and mutated packets never throw and agree with a plain reference reading', () => {
    const random = mulberry32(42);
    const int = (n: number): number => Math.floor(random() * n);
    let compared = 0;
    let differing = 0;
    let accepted = 0;
    const detector = new RtpFlowDetector();
    const dtmf = new DtmfCollector();
    for (let i = 0; i < 30000; i++) {
      let bytes: Uint8Array;
      if (i % 3 === 0) {
        bytes = Uint8Array.from({ length: int(80) }, () => int(256));
      } else {
        const base = encodeRtpPacket({
          payloadType: int(128),
          sequence: int(65536),
          timestamp: int(2 ** 32),
          ssrc: int(2 ** 32),
          payload: Uint8Array.from({ length: int(64) }, () => int(256)),
          marker: random() < 0.5,
          csrcs: Array.from({ length: int(16) }, () => int(2 ** 32)),
          ...(random() < 0.5 ? { extension: { profile: random() < 0.5 ? 0xbede : int(65536), data: Uint8Array.from({ length: 4 * int(5) }, () => int(256)) } } : {}),
          padding: random() < 0.5 ? 1 + int(8) : 0,
        });
        bytes = base.slice(0, i % 3 === 1 ? base.length : int(base.length + 1));
        for (let k = int(4); k > 0 && bytes.length > 0; k--) bytes[int(bytes.length)] = int(256);
      }
      const packet = parseRtp(bytes);
      const reference = referenceParse(bytes);
      compared++;
      if ((packet === null) !== (reference === null)) differing++;
      else if (packet && reference) {
        accepted++;
        const same =
          packet.payloadType === reference.pt &&
          packet.sequence === reference.seq &&
          packet.timestamp === reference.ts &&
          packet.ssrc === reference.ssrc &&
          packet.csrcs.join() === reference.csrcs.join() &&
          packet.payload.byteOffset - bytes.byteOffset === reference.start &&
          packet.payload.length === reference.end - reference.start;
        if (!same) differing++;
        detector.observe('fuzz', packet);
        if (packet.extensionData) headerExtensionElements(packet.extensionProfile!, packet.extensionData);
        dtmf.push(packet.payload, packet.timestamp, i);
        parseTelephoneEvents(packet.payload);
        parseComfortNoise(packet.payload);
      }
      isRtcp(bytes);
    }
    expect({ compared, differing }).toEqual({ compared: 30000, differing: 0 });
    expect(accepted).toBeGreaterThan(10000);
  });
});
