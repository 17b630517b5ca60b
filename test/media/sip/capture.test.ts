import { describe, expect, it } from 'vitest';
import { SipDialogTracker } from '../../../src/media/sip/index.js';
import { DtmfCollector, RtpFlowDetector, isRtcp, parseRtp } from '../../../src/media/rtp/index.js';
import { encodeRtpPacket, encodeTelephoneEvent } from '../../../src/embedded/index.js';
import { LinkType, buildUdpFrame, parseCapture, writePcap } from '../../../src/media/pcap/index.js';
import type { UdpDatagram } from '../../../src/media/pcap/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';
import { CALLEE, CALLEE_MOVED, CALLER, CALL_FLOW, CALL_ID, enc } from './messages.js';

interface Sent {
  readonly time: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** 20 ms voice packets of one RTP source from `start` to `end` (seconds). */
function voice(from: [string, number], to: [string, number], payloadType: number, ssrc: number, start: number, end: number): Sent[] {
  const out: Sent[] = [];
  for (let i = 0; start + i * 0.02 < end; i++) {
    out.push({ time: start + i * 0.02, src: from[0], srcPort: from[1], dst: to[0], dstPort: to[1], payload: encodeRtpPacket({ payloadType, sequence: (1000 + i) & 0xffff, timestamp: i * 160, ssrc, payload: new Uint8Array(160).fill(0xd5) }) });
  }
  return out;
}

describe('a whole capture: SIP, RTP, RTCP, DTMF and unrelated UDP, read back through the capture reader', () => {
  it('every stream is found, attributed to its call, party and codec; noise is not taken for audio', () => {
    const random = mulberry32(99);
    const caller: [string, number] = [CALLER.address, CALLER.rtpPort];
    const callee: [string, number] = [CALLEE.address, CALLEE.rtpPort];
    const moved: [string, number] = [CALLEE_MOVED.address, CALLEE_MOVED.rtpPort];
    const sent: Sent[] = [
      ...CALL_FLOW.map((m) => ({ ...m, payload: enc(m.text) })),
      // Payload types on the wire are the receiver's: 102 = PCMA for the callee, 97 = PCMA for the caller.
      ...voice(callee, caller, 97, 0xca11ee, 100.52, 120), // early media from the 183 on
      ...voice(caller, callee, 102, 0xca11e4, 105.02, 120),
      ...voice(moved, caller, 97, 0xb41d6e, 120.1, 130),
      ...voice(caller, moved, 102, 0xca11e5, 120.1, 130),
      // An unsignalled gateway leg: found by the flow heuristic alone.
      ...voice(['203.0.113.5', 30000], ['203.0.113.6', 30002], 8, 0x9a7e, 100, 110),
    ];
    // DTMF "12#" from the caller, in the callee's telephone-event number (100), with 3× end reports, on the caller's SSRC.
    let dtmfSequence = 30000;
    ['1', '2', '#'].forEach((key, k) => {
      const event = key === '#' ? 11 : Number(key);
      const timestamp = 800_000 + k * 16000;
      for (let d = 1; d <= 8; d++) {
        const end = d > 5;
        sent.push({ time: 111 + k + d * 0.02, src: caller[0], srcPort: caller[1], dst: callee[0], dstPort: callee[1], payload: encodeRtpPacket({ payloadType: 100, sequence: dtmfSequence++, timestamp, ssrc: 0xca11e4, payload: encodeTelephoneEvent(event, end, 10, Math.min(d, 5) * 160), marker: d === 1 }) });
      }
    });
    // RTCP receiver reports to port + 1 every 5 s, both ways.
    for (let t = 106; t < 120; t += 5) {
      const rr = Uint8Array.of(0x80, 201, 0, 1, 0, 0xca, 0x11, 0xe4);
      sent.push({ time: t, src: caller[0], srcPort: caller[1] + 1, dst: callee[0], dstPort: callee[1] + 1, payload: rr });
      sent.push({ time: t + 0.5, src: callee[0], srcPort: callee[1] + 1, dst: caller[0], dstPort: caller[1] + 1, payload: rr });
    }
    // Noise: DNS, syslog, a SIP OPTIONS on an odd port, random binary on a high port.
    for (let i = 0; i < 40; i++) {
      const id = [Math.floor(random() * 256), Math.floor(random() * 256)];
      sent.push({ time: 100 + i * 0.7, src: '192.0.2.53', srcPort: 40000 + i, dst: '192.0.2.1', dstPort: 53, payload: Uint8Array.of(...id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1) });
      sent.push({ time: 100.1 + i * 0.7, src: '192.0.2.7', srcPort: 514, dst: '192.0.2.8', dstPort: 514, payload: enc(`<134>Nov 23 10:00:${i} pbx app: event ${i}`) });
      sent.push({ time: 100.2 + i * 0.7, src: '192.0.2.9', srcPort: 5080, dst: '192.0.2.10', dstPort: 5080, payload: enc(`OPTIONS sip:ping@192.0.2.10:5080 SIP/2.0\r\nCall-ID: ping-${i}\r\nCSeq: ${i} OPTIONS\r\n\r\n`) });
      const junk = Uint8Array.from({ length: 20 + Math.floor(random() * 100) }, () => Math.floor(random() * 256));
      junk[0] = 0x80 | (junk[0]! & 0x3f);
      sent.push({ time: 100.3 + i * 0.7, src: '192.0.2.11', srcPort: 41000, dst: '192.0.2.12', dstPort: 41002, payload: junk });
    }
    sent.sort((a, b) => a.time - b.time);
    const pcap = writePcap(
      sent.map((s) => ({ data: buildUdpFrame({ linkType: LinkType.ETHERNET, ...s }), time: 1_700_000_000 + s.time })),
      { linkType: LinkType.ETHERNET, resolution: 'nano' },
    );

    // A small demuxer: signalling first, then RTCP, then RTP named by SDP, then RTP found by the heuristic.
    const tracker = new SipDialogTracker();
    const detector = new RtpFlowDetector();
    const streams = new Map<string, { packets: number; codecs: Set<string>; owner?: string; signalled: boolean; dtmf: DtmfCollector }>();
    let rtcp = 0;
    let rtcpAtSdpPorts = 0;
    let other = 0;
    const stats = parseCapture(pcap, 'call.pcap', (d: UdpDatagram) => {
      if (tracker.offer(d)) return;
      if (isRtcp(d.payload)) {
        rtcp++;
        if (tracker.isRtcpEndpoint(d.dst, d.dstPort)) rtcpAtSdpPorts++;
        return;
      }
      const packet = parseRtp(d.payload);
      const flow = `${d.src}|${d.srcPort}|${d.dst}|${d.dstPort}`;
      if (!packet) {
        detector.observeNonRtp(flow);
        other++;
        return;
      }
      const time = d.time - 1_700_000_000;
      const signalled = tracker.describes(d.src, d.srcPort, d.dst, d.dstPort, time);
      if (!signalled && detector.observe(flow, packet) !== 'rtp') {
        other++;
        return;
      }
      let stream = streams.get(flow);
      if (!stream) {
        const owner = tracker.mediaOwner(d.src, d.srcPort, time);
        stream = { packets: 0, codecs: new Set(), signalled, dtmf: new DtmfCollector(), ...(owner ? { owner: `${owner.role} ${owner.party.number}` } : {}) };
        streams.set(flow, stream);
      }
      stream.packets++;
      const codec = tracker.payloadType(d.src, d.srcPort, d.dst, d.dstPort, packet.payloadType, time);
      stream.codecs.add(codec?.encoding ?? `static ${packet.payloadType}`);
      if (codec?.encoding === 'telephone-event') stream.dtmf.push(packet.payload, packet.timestamp, time);
    });
    expect(stats.udpDatagrams).toBe(sent.length);

    const summary = Object.fromEntries([...streams].map(([flow, s]) => [flow, { packets: s.packets, codecs: [...s.codecs].sort(), owner: s.owner, signalled: s.signalled, dtmf: s.dtmf.digits }]));
    const count = (src: [string, number], dst: [string, number]): number => sent.filter((s) => s.src === src[0] && s.srcPort === src[1] && s.dst === dst[0] && s.dstPort === dst[1]).length;
    expect(summary).toEqual({
      [`${callee.join('|')}|${caller.join('|')}`]: { packets: count(callee, caller), codecs: ['PCMA'], owner: 'callee 201', signalled: true, dtmf: '' },
      [`${caller.join('|')}|${callee.join('|')}`]: { packets: count(caller, callee), codecs: ['PCMA', 'telephone-event'], owner: 'caller +390612345678', signalled: true, dtmf: '12#' },
      [`${moved.join('|')}|${caller.join('|')}`]: { packets: count(moved, caller), codecs: ['PCMA'], owner: 'callee 201', signalled: true, dtmf: '' },
      [`${caller.join('|')}|${moved.join('|')}`]: { packets: count(caller, moved), codecs: ['PCMA'], owner: 'caller +390612345678', signalled: true, dtmf: '' },
      // The heuristic takes the gateway leg from its third packet; the first two count as undecided here (a real demuxer holds them back and replays them).
      ['203.0.113.5|30000|203.0.113.6|30002']: { packets: 500 - 2, codecs: ['static 8'], owner: undefined, signalled: false, dtmf: '' },
    });
    expect(rtcp).toBe(6);
    expect(rtcpAtSdpPorts).toBe(6);
    expect(other).toBe(40 * 3 + 2); // DNS, syslog and the random flow, plus the two held-back gateway packets
    expect(tracker.messages).toBe(CALL_FLOW.length + 40);
    expect(tracker.calls().map((c) => c.callId)).toEqual([CALL_ID]);
  });
});
