import { describe, expect, it } from 'vitest';
import { parseNameAddr, parseSdp, parseSip } from '../../src/sip/index.js';
import { mulberry32 } from '../../src/util/index.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

const SDP = [
  'v=0',
  'o=- 1 1 IN IP6 2001:db8::10',
  's=-',
  'c=IN IP6 2001:db8::10',
  't=0 0',
  'm=audio 40000 RTP/AVP 9 8 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendonly',
  'm=video 0 RTP/AVP 96',
  '',
].join('\r\n');

describe('SIP', () => {
  it('a request with compact and folded headers and an SDP body', () => {
    const text = ['INVITE sip:201@pbx.example SIP/2.0', 'v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1', 'f: "Rossi, Maria" <sip:+390612345678@gw.example>;tag=abc', 't: <sip:201@pbx.example>', 'i: call-1@host', 'CSeq: 7', ' INVITE', 'c: application/sdp', `l: ${enc(SDP).length}`, '', SDP].join('\r\n');
    const m = parseSip(enc(text))!;
    expect(m.kind).toBe('request');
    if (m.kind !== 'request') return;
    expect(m.method).toBe('INVITE');
    expect(m.callId).toBe('call-1@host');
    expect(m.from).toEqual({ displayName: 'Rossi, Maria', user: '+390612345678', host: 'gw.example', tag: 'abc' });
    expect(m.to).toMatchObject({ user: '201' });
    expect(m.cseq).toBe(7);
    expect(m.cseqMethod).toBe('INVITE');
    const sdp = parseSdp(m.body!)!;
    expect(sdp.connectionAddress).toBe('2001:db8::10');
    expect(sdp.media[0]).toMatchObject({ type: 'audio', port: 40000, formats: [9, 8, 101], ptime: 20, direction: 'sendonly' });
    expect(sdp.media[0]!.rtpmap.get(9)).toEqual({ encoding: 'G722', clockRate: 8000 });
    expect(sdp.media[0]!.rtpmap.get(101)).toEqual({ encoding: 'telephone-event', clockRate: 8000 });
    expect(sdp.media[1]!.port).toBe(0);
  });

  it('a response; tel: URIs; junk is not SIP', () => {
    const m = parseSip(enc('SIP/2.0 200 OK\r\nCall-ID: x\r\nFrom: <tel:+4940123>;tag=1\r\nTo: sip:201@h\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'))!;
    expect(m).toMatchObject({ kind: 'response', status: 200, reason: 'OK', cseqMethod: 'INVITE' });
    expect(m.from!.user).toBe('+4940123');
    expect(m.to!.user).toBe('201');
    expect(parseSip(enc('hello world, this is not SIP at all'))).toBeNull();
    expect(parseNameAddr('<sip:%2B49@h>').user).toBe('+49');
  });

  it('fuzz: random and mutated messages never throw', () => {
    const random = mulberry32(7);
    const base = enc(`INVITE sip:a@b SIP/2.0\r\nCall-ID: 1\r\nFrom: <sip:1@b>\r\nTo: <sip:2@b>\r\nCSeq: 1 INVITE\r\nContent-Length: 300\r\n\r\n${SDP}`);
    for (let i = 0; i < 3000; i++) {
      const bytes = base.slice(0, Math.floor(random() * (base.length + 1)));
      for (let k = 0; k < 5; k++) if (bytes.length) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const m = parseSip(bytes);
      if (m?.body) parseSdp(m.body);
      parseSdp(new TextDecoder().decode(bytes));
    }
  });
});
