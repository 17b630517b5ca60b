import { describe, expect, it } from 'vitest';
import { headerValue, headerValues, parseNameAddr, parseSip, parseUri, sdpBodyOf } from '../../../src/media/sip/index.js';
import { CALL_FLOW, CALL_ID, INVITE, OFFER, enc, sip } from './messages.js';

describe('SIP messages (RFC 3261)', () => {
  it('an INVITE: start line, headers, parties, CSeq, body cut to Content-Length', () => {
    const m = parseSip(enc(INVITE))!;
    expect(m.kind).toBe('request');
    if (m.kind !== 'request') return;
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:201@example.org');
    expect(m.callId).toBe(CALL_ID);
    expect(m.from).toEqual({ displayName: 'Alice Rossi', user: '+390612345678', host: 'example.com', tag: '1928301774', uri: 'sip:+390612345678@example.com' });
    expect(m.to).toEqual({ user: '201', host: 'example.org', uri: 'sip:201@example.org' });
    expect(m.cseq).toBe(314159);
    expect(m.cseqMethod).toBe('INVITE');
    expect(m.body).toBe(OFFER);
    expect(m.bodyBytes!.length).toBe(enc(OFFER).length);
    expect(headerValue(m, 'max-forwards')).toBe('70');
    expect(headerValue(m, 'USER-AGENT')).toBe('DeskPhone/1.0');
    expect(sdpBodyOf(m)).toBe(OFFER);
  });

  it('compact header forms are expanded (i, f, t, v, m, c, l, and the extension ones)', () => {
    const m = parseSip(enc(CALL_FLOW[2]!.text))!;
    expect(m).toMatchObject({ kind: 'response', status: 183, reason: 'Session Progress', callId: CALL_ID, cseqMethod: 'INVITE' });
    expect(m.to!.tag).toBe('a6c85cf');
    expect(headerValue(m, 'content-type')).toBe('application/sdp');
    expect(headerValue(m, 'c')).toBe('application/sdp');
    expect(headerValue(m, 'contact')).toBe('<sip:201@198.51.100.20>');
    expect(headerValues(m, 'via').length).toBe(1);
    const ext = parseSip(enc(sip(['REFER sip:a@b SIP/2.0', 'i: x', 'r: <sip:c@d>', 'b: <sip:e@f>', 'o: refer', 'k: timer', 'x: 1800', 's: hello'])))!;
    expect([...ext.headers.keys()]).toEqual(['call-id', 'refer-to', 'referred-by', 'event', 'supported', 'session-expires', 'subject', 'content-length']);
  });

  it('folded header lines are joined with one space', () => {
    const m = parseSip(enc(CALL_FLOW[8]!.text))!;
    expect(headerValue(m, 'subject')).toBe('media moved to the conference bridge');
    const folded = parseSip(enc('SIP/2.0 200 OK\r\nCall-ID:\r\n  folded-id@h\r\nCSeq: 2\r\n INVITE\r\n\r\n'))!;
    expect(folded.callId).toBe('folded-id@h');
    expect(folded.cseqMethod).toBe('INVITE');
  });

  it('every message of the call flow parses, with the kind and method or status expected', () => {
    const summary = CALL_FLOW.map((c) => {
      const m = parseSip(enc(c.text))!;
      return m.kind === 'request' ? m.method : `${m.status} ${m.cseqMethod}`;
    });
    expect(summary).toEqual(['INVITE', '100 INVITE', '183 INVITE', '180 INVITE', '200 INVITE', 'ACK', 'INFO', '200 INFO', 'INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE']);
  });

  it('Content-Length: shorter cuts trailing junk, longer marks the body truncated, missing means the rest (UDP)', () => {
    const base = 'MESSAGE sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Type: text/plain\r\n';
    const cut = parseSip(enc(`${base}Content-Length: 5\r\n\r\nhello\u0000\u0001junk`))!;
    expect(cut.body).toBe('hello');
    expect(cut.truncated).toBeUndefined();
    const short = parseSip(enc(`${base}Content-Length: 500\r\n\r\nhello`))!;
    expect(short.body).toBe('hello');
    expect(short.truncated).toBe(true);
    const none = parseSip(enc(`${base}\r\nhello world`))!;
    expect(none.body).toBe('hello world');
    // Content-Length counts octets, not characters.
    const utf8 = parseSip(enc(`${base}Content-Length: 5\r\n\r\nciàoXYZ`))!;
    expect(utf8.body).toBe('ciào');
    // Bare LF line ends, as some devices send.
    const lf = parseSip(enc('OPTIONS sip:a@b SIP/2.0\nCall-ID: lf\nContent-Length: 2\n\nok'))!;
    expect(lf.callId).toBe('lf');
    expect(lf.body).toBe('ok');
  });

  it('keep-alives and junk are not SIP; junk header lines are skipped', () => {
    for (const junk of ['hello world, this is not SIP at all', '\r\n\r\n', 'SIP/2.0 99 Too Low\r\n\r\n', 'SIP/2.0 700 Too High\r\n\r\n', 'INVITE sip:a@b SIP/3.0\r\n\r\n', 'INVITE\r\nCall-ID: x\r\n\r\n', '']) {
      expect(parseSip(enc(junk))).toBeNull();
    }
    expect(parseSip(Uint8Array.of(0x80, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xd5, 0xd5))).toBeNull();
    expect(parseSip(new Uint8Array(70000).fill(0x41))).toBeNull();
    const m = parseSip(enc('\r\n\r\nBYE sip:a@b SIP/2.0\r\nthis line has no colon\r\n\u0001\u0002: binary name\r\nCall-ID: ok\r\n\r\n'))!;
    expect(m.callId).toBe('ok');
    expect([...m.headers.keys()]).toEqual(['call-id']);
    // Header names that are also names of object members are ordinary headers.
    const odd = parseSip(enc('OPTIONS sip:a@b SIP/2.0\r\nconstructor: 1\r\ntoString: 2\r\n__proto__: 3\r\n\r\n'))!;
    expect([...odd.headers]).toEqual([
      ['constructor', ['1']],
      ['tostring', ['2']],
      ['__proto__', ['3']],
    ]);
  });

  it('name-addr forms: quoted names with escapes, bare URIs, tel:, percent escapes, user parameters, IPv6 hosts', () => {
    expect(parseNameAddr('"Rossi, \\"Mary\\" <x>" <sip:+39@gw.example:5070;user=phone>;tag=abc;x=y')).toEqual({
      displayName: 'Rossi, "Mary" <x>',
      user: '+39',
      host: 'gw.example',
      port: 5070,
      tag: 'abc',
      uri: 'sip:+39@gw.example:5070;user=phone',
    });
    expect(parseNameAddr('Bob <sips:bob@biloxi.example.com>')).toMatchObject({ displayName: 'Bob', user: 'bob', host: 'biloxi.example.com' });
    expect(parseNameAddr('sip:201@h;tag=77')).toMatchObject({ user: '201', host: 'h', tag: '77' });
    expect(parseNameAddr('<tel:+4940123;phone-context=+49>;tag=1')).toMatchObject({ user: '+4940123', tag: '1' });
    expect(parseNameAddr('<sip:%2B49@h>').user).toBe('+49');
    expect(parseNameAddr('<sip:%E0%A4%A@h>').user).toBe('%E0%A4%A'); // a broken escape is kept as written
    expect(parseNameAddr('<sip:0123;npdi;rn=456@carrier.example>')).toMatchObject({ user: '0123', host: 'carrier.example' });
    expect(parseNameAddr('<sip:alice:secret@h>').user).toBe('alice');
    expect(parseUri('sip:100@[2001:db8::1]:5062')).toEqual({ user: '100', host: '2001:db8::1', port: 5062 });
    expect(parseUri('http://example.com')).toEqual({});
    expect(parseNameAddr('"Anonymous" <sip:anonymous@anonymous.invalid>')).toMatchObject({ displayName: 'Anonymous', user: 'anonymous' });
    expect(parseNameAddr('')).toEqual({});
    expect(parseNameAddr('"unterminated <sip:1@h>')).toMatchObject({ user: '1' });
  });

  it('SDP inside a multipart body (SIP-I: SDP with ISUP)', () => {
    const body = [
      '--unique-boundary-1',
      'Content-Type: application/sdp',
      '',
      OFFER.trimEnd(),
      '--unique-boundary-1',
      'Content-Type: application/ISUP; version=itu-t92+',
      'Content-Disposition: signal; handling=optional',
      '',
      '\u0001\u0000\u0049\u0000\u0000\u0003\u0002\u0000\u0007',
      '--unique-boundary-1--',
      '',
    ].join('\r\n');
    const m = parseSip(enc(sip(['INVITE sip:201@example.org SIP/2.0', 'Call-ID: mp', 'Content-Type: multipart/mixed; boundary="unique-boundary-1"', 'MIME-Version: 1.0'], body)))!;
    expect(sdpBodyOf(m)).toBe(OFFER.trimEnd());
    const plain = parseSip(enc(sip(['MESSAGE sip:a@b SIP/2.0', 'Call-ID: t', 'Content-Type: text/plain'], 'v=0 is not SDP here')))!;
    expect(sdpBodyOf(plain)).toBeUndefined();
    const untyped = parseSip(enc(sip(['INVITE sip:a@b SIP/2.0', 'Call-ID: u'], OFFER)))!;
    expect(sdpBodyOf(untyped)).toBe(OFFER);
  });
});
