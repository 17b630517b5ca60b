import { describe, expect, it } from 'vitest';
import { SipDialogTracker, parseNameAddr, parseSdp, parseSip, sdpBodyOf } from '../../../src/media/sip/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';
import { ANSWER, CALL_FLOW, OFFER, enc } from './messages.js';

/** Octets that matter to the parsers: line ends, separators, quotes, brackets. */
const SPECIAL = [13, 10, 58, 59, 44, 34, 92, 60, 62, 64, 61, 32, 9, 0, 0xff, 0xc3];

describe('SIP/SDP fuzz (seeded)', () => {
  it('mutated and random messages never throw, and whatever parses feeds the dialog tracker', () => {
    const random = mulberry32(3261);
    const int = (n: number): number => Math.floor(random() * n);
    const bases = CALL_FLOW.map((m) => enc(m.text));
    const tracker = new SipDialogTracker();
    let parsed = 0;
    let withSdp = 0;
    const total = 6000;
    for (let i = 0; i < total; i++) {
      let bytes: Uint8Array;
      if (i % 6 === 0) {
        bytes = Uint8Array.from({ length: int(300) }, () => int(256));
      } else {
        const base = bases[int(bases.length)]!;
        const edited = Array.from(base.subarray(0, i % 6 === 1 ? int(base.length + 1) : base.length));
        for (let k = 1 + int(6); k > 0; k--) {
          const at = int(edited.length + 1);
          switch (int(4)) {
            case 0:
              edited[at] = int(256);
              break;
            case 1:
              edited.splice(at, 0, SPECIAL[int(SPECIAL.length)]!);
              break;
            case 2:
              edited.splice(at, 1 + int(20));
              break;
            default: {
              const from = int(edited.length);
              edited.splice(at, 0, ...edited.slice(from, from + int(40)));
            }
          }
        }
        bytes = Uint8Array.from(edited.filter((b) => b !== undefined));
      }
      const message = parseSip(bytes);
      if (!message) continue;
      parsed++;
      const text = sdpBodyOf(message);
      if (text && parseSdp(text)) withSdp++;
      if (message.from) expect(typeof parseNameAddr(message.headers.get('from')![0]!)).toBe('object');
      tracker.add(message, { time: i / 100, src: '192.0.2.10', srcPort: 5060, dst: '198.51.100.20', dstPort: 5060 });
      tracker.mediaInfoFor('192.0.2.10', 40000, i / 100);
      tracker.payloadType('192.0.2.10', 40000, '198.51.100.20', 50000, 8, i / 100);
    }
    expect(parsed).toBeGreaterThan(total / 2);
    expect(withSdp).toBeGreaterThan(100);
    expect(tracker.calls().length).toBeGreaterThan(0);
  });

  it('SDP: shuffled, cut and mutated lines never throw', () => {
    const random = mulberry32(8866);
    const int = (n: number): number => Math.floor(random() * n);
    const lines = [...OFFER.split('\r\n'), ...ANSWER.split('\r\n'), 'c=IN IP6 ::1', 'm=audio 1/2 RTP/AVP', 'a=rtcp:9 IN IP4 1.1.1.1', 'a=sendonly', 'b=AS:64', 'a=rtpmap:', 'a=fmtp:1'];
    let sessions = 0;
    for (let i = 0; i < 5000; i++) {
      const picked = ['v=0', ...Array.from({ length: int(20) }, () => lines[int(lines.length)]!)].map((line) => {
        if (random() < 0.2 && line.length > 0) {
          const at = int(line.length);
          return line.slice(0, at) + String.fromCharCode(int(128)) + line.slice(at + 1);
        }
        return line;
      });
      if (parseSdp(picked.join(random() < 0.5 ? '\r\n' : '\n'))) sessions++;
    }
    expect(sessions).toBeGreaterThan(4000);
  });

  it('pathological sizes and shapes finish (no runaway regular expressions)', () => {
    const spaces = ' '.repeat(60000);
    const inputs = [
      `INVITE ${spaces}sip:a@b${spaces}SIP/2.0\r\n\r\n`,
      `SIP/2.0 200 ${'x'.repeat(60000)}\r\n\r\n`,
      `INFO sip:a@b SIP/2.0\r\nCall-ID: p\r\nFrom: <sip:a@b>;tag=1\r\nCSeq: 1 INVITE\r\nContent-Type: application/dtmf-relay\r\n\r\n${'\n'.repeat(30000)}${' \t'.repeat(10000)}`,
      `OPTIONS sip:a@b SIP/2.0\r\nFrom: ${'"'.repeat(20000)}${'<'.repeat(20000)}\r\nTo: ${';tag='.repeat(8000)}\r\n\r\n`,
      `OPTIONS sip:a@b SIP/2.0\r\n${'X: y\r\n '.repeat(7000)}\r\n\r\n`,
      `INVITE sip:a@b SIP/2.0\r\nCall-ID: m\r\nContent-Type: multipart/mixed;${' ;'.repeat(5000)}boundary=b\r\n\r\n${'--b\r\n'.repeat(10000)}`,
    ];
    for (const text of inputs) {
      const bytes = enc(text).subarray(0, 65535);
      const message = parseSip(bytes);
      if (message) {
        const tracker = new SipDialogTracker();
        tracker.add(message, { time: 0, src: '::1', srcPort: 1, dst: '::1', dstPort: 2 });
        sdpBodyOf(message);
      }
    }
    parseSdp(`v=0\r\n${'m=audio 1 RTP/AVP '.repeat(3000)}`);
    parseSdp(`v=0\r\nc=IN IP4 ${' '.repeat(60000)}`);
    parseSdp(`v=0\r\n${'a=rtpmap:1 '.repeat(5000)}`);
    parseNameAddr(`"${'\\'.repeat(50000)}`);
    expect(true).toBe(true);
  });
});
