import { describe, expect, it } from 'vitest';
import { RtpFlowDetector, parseRtp } from '../../../src/media/rtp/index.js';
import type { RtpFlowVerdict } from '../../../src/media/rtp/index.js';
import { encodeRtpPacket } from '../../../src/embedded/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';

const voice = new Uint8Array(160);

/** Feed datagrams of one flow the way a demuxer would: parse, then observe (or count a non-RTP datagram). */
function feed(detector: RtpFlowDetector, flow: string, datagrams: readonly Uint8Array[]): RtpFlowVerdict[] {
  return datagrams.map((bytes) => {
    const packet = parseRtp(bytes);
    return packet ? detector.observe(flow, packet) : detector.observeNonRtp(flow);
  });
}

function rtpStream(count: number, first: { sequence: number; timestamp: number; ssrc?: number; step?: number }): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    encodeRtpPacket({ payloadType: 8, sequence: (first.sequence + i) & 0xffff, timestamp: (first.timestamp + i * (first.step ?? 160)) >>> 0, ssrc: first.ssrc ?? 0x11223344, payload: voice }),
  );
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('RTP flow detection without SDP', () => {
  it('takes a voice stream after K = 3 packets by default, K configurable', () => {
    expect(feed(new RtpFlowDetector(), 'a', rtpStream(5, { sequence: 10, timestamp: 1000 }))).toEqual(['pending', 'pending', 'rtp', 'rtp', 'rtp']);
    expect(feed(new RtpFlowDetector({ confirmPackets: 5 }), 'a', rtpStream(5, { sequence: 10, timestamp: 1000 }))).toEqual(['pending', 'pending', 'pending', 'pending', 'rtp']);
    expect(feed(new RtpFlowDetector({ confirmPackets: 1 }), 'a', rtpStream(1, { sequence: 10, timestamp: 1000 }))).toEqual(['rtp']);
  });

  it('sequence and timestamp wrap-around, losses up to the step limit, and RFC 4733 events with a standing timestamp', () => {
    expect(feed(new RtpFlowDetector(), 'w', rtpStream(3, { sequence: 65534, timestamp: 0xffffffb0 }))[2]).toBe('rtp');
    const lossy = rtpStream(40, { sequence: 0, timestamp: 0 }).filter((_, i) => i % 16 === 0); // 15 lost between each
    expect(feed(new RtpFlowDetector(), 'l', lossy)[2]).toBe('rtp');
    const tooLossy = rtpStream(60, { sequence: 0, timestamp: 0 }).filter((_, i) => i % 17 === 0);
    expect(feed(new RtpFlowDetector(), 'l', tooLossy)).toEqual(['pending', 'pending', 'pending', 'pending']);
    const events = [0, 1, 2].map((i) => encodeRtpPacket({ payloadType: 101, sequence: 500 + i, timestamp: 8000, ssrc: 7, payload: Uint8Array.of(1, 0, 0, 160 * (i + 1)) }));
    expect(feed(new RtpFlowDetector(), 'e', events)[2]).toBe('rtp');
    // G.722 at 20 ms, 16 kHz audio on an 8 kHz clock, and 48 kHz wideband both pass.
    expect(feed(new RtpFlowDetector(), 'o', rtpStream(3, { sequence: 1, timestamp: 0, step: 960 }))[2]).toBe('rtp');
  });

  it('a break (new SSRC, repeated or backward sequence, wild timestamp) restarts the count', () => {
    const detector = new RtpFlowDetector();
    const a = rtpStream(2, { sequence: 100, timestamp: 0 });
    const b = rtpStream(3, { sequence: 9000, timestamp: 5000, ssrc: 0x55 });
    expect(feed(detector, 'f', [...a, ...b])).toEqual(['pending', 'pending', 'pending', 'pending', 'rtp']);
    const wild = rtpStream(3, { sequence: 1, timestamp: 0 });
    const jump = encodeRtpPacket({ payloadType: 8, sequence: 2, timestamp: 16000 * 2 + 1, ssrc: 0x11223344, payload: voice });
    expect(feed(new RtpFlowDetector(), 'j', [wild[0]!, jump, ...rtpStream(2, { sequence: 3, timestamp: 32001 })])).toEqual(['pending', 'pending', 'pending', 'rtp']);
    expect(feed(new RtpFlowDetector(), 'r', [wild[0]!, wild[0]!, wild[1]!])).toEqual(['pending', 'pending', 'pending']);
  });

  it('flows are kept apart; once taken a flow stays taken; forget() starts over', () => {
    const detector = new RtpFlowDetector();
    const x = rtpStream(3, { sequence: 1, timestamp: 0, ssrc: 1 });
    const y = rtpStream(3, { sequence: 7, timestamp: 0, ssrc: 2 });
    const verdicts = [x[0], y[0], x[1], y[1], x[2], y[2]].map((bytes, i) => detector.observe(i % 2 ? 'y' : 'x', parseRtp(bytes!)!));
    expect(verdicts).toEqual(['pending', 'pending', 'pending', 'pending', 'rtp', 'rtp']);
    expect(detector.observeNonRtp('x')).toBe('rtp');
    expect(detector.verdict('x')).toBe('rtp');
    expect(detector.verdict('z')).toBeUndefined();
    detector.forget('x');
    expect(detector.verdict('x')).toBeUndefined();
    expect(detector.size).toBe(1);
    // A bounded table: the oldest flow goes first.
    const small = new RtpFlowDetector({ maxFlows: 2 });
    for (const flow of ['p', 'q', 'r']) small.observe(flow, parseRtp(x[0]!)!);
    expect([small.verdict('p'), small.verdict('q'), small.verdict('r'), small.size]).toEqual([undefined, 'pending', 'pending', 2]);
  });

  it('text protocols (SIP on an odd port, syslog) never pass and are given up after the failure limit', () => {
    const detector = new RtpFlowDetector({ maxFailures: 8 });
    const sip = text('OPTIONS sip:100@192.0.2.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2:5080\r\n\r\n');
    const syslog = text('<134>Nov 23 08:00:00 pbx kernel: something happened');
    const verdicts = feed(detector, 's', Array.from({ length: 10 }, (_, i) => (i % 2 ? sip : syslog)));
    expect(verdicts.slice(0, 8)).toEqual(new Array(8).fill('pending'));
    expect(verdicts[8]).toBe('not-rtp');
    expect(feed(detector, 's', rtpStream(5, { sequence: 1, timestamp: 0 }))).toEqual(new Array(5).fill('not-rtp'));
  });

  it('random and DNS-like UDP is not taken for audio: counts over thousands of flows', () => {
    const random = mulberry32(2024);
    const byte = (): number => Math.floor(random() * 256);
    let randomTaken = 0;
    let randomParsed = 0;
    const detector = new RtpFlowDetector();
    for (let flow = 0; flow < 2000; flow++) {
      const datagrams = Array.from({ length: 30 }, () => {
        const bytes = Uint8Array.from({ length: 12 + Math.floor(random() * 200) }, byte);
        bytes[0] = 0x80 | (bytes[0]! & 0x3f); // force version 2, the hardest case for the detector
        return bytes;
      });
      randomParsed += datagrams.filter((d) => parseRtp(d) !== null).length;
      if (feed(detector, `r${flow}`, datagrams).includes('rtp')) randomTaken++;
    }
    expect(randomParsed).toBeGreaterThan(10000); // a quarter of the 60 000 pass the header checks…
    expect(randomTaken).toBe(0); // …but no flow looks like one RTP source

    // DNS queries and answers from one resolver: random 16-bit IDs, fixed flags and counts (RFC 1035 §4.1.1).
    let dnsTaken = 0;
    for (let flow = 0; flow < 500; flow++) {
      const datagrams = Array.from({ length: 30 }, (_, i) => {
        const header = [byte(), byte(), i % 2 ? 0x81 : 0x01, i % 2 ? 0x80 : 0x00, 0, 1, 0, i % 2, 0, 0, 0, 1];
        return Uint8Array.from([...header, 7, ...text('example'), 3, ...text('com'), 0, 0, 1, 0, 1]);
      });
      if (feed(detector, `d${flow}`, datagrams).includes('rtp')) dnsTaken++;
    }
    expect(dnsTaken).toBe(0);

    // A counter protocol: constant first word and id, a real sequence, but a random 32-bit field where RTP has its timestamp.
    let counterTaken = 0;
    for (let flow = 0; flow < 500; flow++) {
      const datagrams = Array.from({ length: 30 }, (_, i) => encodeRtpPacket({ payloadType: 0, sequence: i, timestamp: Math.floor(random() * 2 ** 32), ssrc: 42, payload: voice }));
      if (feed(detector, `c${flow}`, datagrams).includes('rtp')) counterTaken++;
    }
    expect(counterTaken).toBe(0);
  });
});
