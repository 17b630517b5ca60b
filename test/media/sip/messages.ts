// Hand-written SIP/SDP for the tests: a call from Alice (192.0.2.10) to extension 201 (198.51.100.20),
// with early media, a re-INVITE moving the callee's media, SIP INFO DTMF and a BYE.

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A SIP message with CRLF line ends and a Content-Length that counts the body's octets. */
export function sip(head: readonly string[], body = '', lengthHeader = 'Content-Length'): string {
  return [...head, `${lengthHeader}: ${enc(body).length}`, '', body].join('\r\n');
}

export function sdp(lines: readonly string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

export const CALLER = { address: '192.0.2.10', sipPort: 5060, rtpPort: 40000 };
export const CALLEE = { address: '198.51.100.20', sipPort: 5060, rtpPort: 50000 };
export const CALLEE_MOVED = { address: '198.51.100.21', rtpPort: 50002 };
export const CALL_ID = 'a84b4c76e66710@pc33.example.com';

/** The caller offers G.722, PCMA, G.729 (annex B off) and telephone-event, all on dynamic payload types. */
export const OFFER = sdp([
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  `m=audio ${CALLER.rtpPort} RTP/AVP 96 97 98 101 13`,
  'a=rtpmap:96 G722/8000',
  'a=rtpmap:97 PCMA/8000',
  'a=rtpmap:98 G729/8000',
  'a=fmtp:98 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
]);

/** The callee answers PCMA and telephone-event under numbers of its own (the wire uses the receiver's numbers). */
export const ANSWER = sdp([
  'v=0',
  'o=- 8000 8000 IN IP4 198.51.100.20',
  's=pbx',
  't=0 0',
  `m=audio ${CALLEE.rtpPort} RTP/AVP 102 100`,
  'c=IN IP4 198.51.100.20',
  'a=rtpmap:102 PCMA/8000',
  'a=rtpmap:100 telephone-event/8000',
  'a=fmtp:100 0-15',
  'a=ptime:20',
]);

export const REOFFER = sdp([
  'v=0',
  'o=- 8000 8001 IN IP4 198.51.100.21',
  's=pbx',
  'c=IN IP4 198.51.100.21',
  't=0 0',
  `m=audio ${CALLEE_MOVED.rtpPort} RTP/AVP 102 100`,
  'a=rtpmap:102 PCMA/8000',
  'a=rtpmap:100 telephone-event/8000',
]);

export const REANSWER = sdp([
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  `m=audio ${CALLER.rtpPort} RTP/AVP 97 101`,
  'a=rtpmap:97 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
]);

const VIA_CALLER = 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds';
const FROM_ALICE = 'From: "Alice Rossi" <sip:+390612345678@example.com>;tag=1928301774';
const TO_201 = 'To: <sip:201@example.org>';
const TO_201_TAGGED = 'To: <sip:201@example.org>;tag=a6c85cf';

/** One captured message: its text and where/when it was seen. */
export interface CapturedMessage {
  readonly text: string;
  readonly time: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
}

const up = (text: string, time: number): CapturedMessage => ({ text, time, src: CALLER.address, srcPort: CALLER.sipPort, dst: CALLEE.address, dstPort: CALLEE.sipPort });
const down = (text: string, time: number): CapturedMessage => ({ text, time, src: CALLEE.address, srcPort: CALLEE.sipPort, dst: CALLER.address, dstPort: CALLER.sipPort });

export const INVITE = sip(
  [
    'INVITE sip:201@example.org SIP/2.0',
    VIA_CALLER,
    'Max-Forwards: 70',
    FROM_ALICE,
    TO_201,
    `Call-ID: ${CALL_ID}`,
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@192.0.2.10>',
    'P-Asserted-Identity: "Alice Rossi" <sip:+390612345678@example.com>',
    'User-Agent: DeskPhone/1.0',
    'Content-Type: application/sdp',
  ],
  OFFER,
);

/** INVITE/100/183/180/200/ACK, INFO DTMF, a callee re-INVITE moving its media, then BYE/200. */
export const CALL_FLOW: readonly CapturedMessage[] = [
  up(INVITE, 100.0),
  down(sip(['SIP/2.0 100 Trying', VIA_CALLER, FROM_ALICE, TO_201, `Call-ID: ${CALL_ID}`, 'CSeq: 314159 INVITE']), 100.01),
  // Compact forms: v, f, t, i, m, c, l.
  down(
    sip(['SIP/2.0 183 Session Progress', VIA_CALLER.replace('Via', 'v'), FROM_ALICE.replace('From', 'f'), TO_201_TAGGED.replace('To', 't'), `i: ${CALL_ID}`, 'CSeq: 314159 INVITE', 'm: <sip:201@198.51.100.20>', 'Server: PBX/13r2', 'c: application/sdp'], ANSWER, 'l'),
    100.5,
  ),
  down(sip(['SIP/2.0 180 Ringing', VIA_CALLER, FROM_ALICE, TO_201_TAGGED, `Call-ID: ${CALL_ID}`, 'CSeq: 314159 INVITE']), 100.6),
  down(sip(['SIP/2.0 200 OK', VIA_CALLER, FROM_ALICE, TO_201_TAGGED, `Call-ID: ${CALL_ID}`, 'CSeq: 314159 INVITE', 'Contact: <sip:201@198.51.100.20>', 'Content-Type: application/sdp'], ANSWER), 105.0),
  up(sip(['ACK sip:201@198.51.100.20 SIP/2.0', VIA_CALLER, FROM_ALICE, TO_201_TAGGED, `Call-ID: ${CALL_ID}`, 'CSeq: 314159 ACK']), 105.01),
  up(sip(['INFO sip:201@198.51.100.20 SIP/2.0', VIA_CALLER, FROM_ALICE, TO_201_TAGGED, `Call-ID: ${CALL_ID}`, 'CSeq: 314160 INFO', 'Content-Type: application/dtmf-relay'], 'Signal=5\r\nDuration=160\r\n'), 110.0),
  down(sip(['SIP/2.0 200 OK', VIA_CALLER, FROM_ALICE, TO_201_TAGGED, `Call-ID: ${CALL_ID}`, 'CSeq: 314160 INFO']), 110.01),
  // The callee (its From tag is the To tag of before) moves its media; a folded Subject header on the way.
  down(
    sip(
      [
        'INVITE sip:alice@192.0.2.10 SIP/2.0',
        'Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKnashds8',
        'From: <sip:201@example.org>;tag=a6c85cf',
        'To: "Alice Rossi" <sip:+390612345678@example.com>;tag=1928301774',
        `Call-ID: ${CALL_ID}`,
        'CSeq: 1 INVITE',
        'Subject: media',
        '  moved to the',
        '\tconference bridge',
        'Content-Type: application/sdp',
      ],
      REOFFER,
    ),
    120.0,
  ),
  up(
    sip(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKnashds8', 'From: <sip:201@example.org>;tag=a6c85cf', 'To: "Alice Rossi" <sip:+390612345678@example.com>;tag=1928301774', `Call-ID: ${CALL_ID}`, 'CSeq: 1 INVITE', 'Content-Type: application/sdp'], REANSWER),
    120.05,
  ),
  down(sip(['ACK sip:alice@192.0.2.10 SIP/2.0', 'From: <sip:201@example.org>;tag=a6c85cf', 'To: <sip:+390612345678@example.com>;tag=1928301774', `Call-ID: ${CALL_ID}`, 'CSeq: 1 ACK']), 120.06),
  up(sip(['BYE sip:201@198.51.100.20 SIP/2.0', VIA_CALLER, FROM_ALICE, TO_201_TAGGED, `Call-ID: ${CALL_ID}`, 'CSeq: 314161 BYE']), 130.0),
  down(sip(['SIP/2.0 200 OK', VIA_CALLER, FROM_ALICE, TO_201_TAGGED, `Call-ID: ${CALL_ID}`, 'CSeq: 314161 BYE']), 130.01),
];
