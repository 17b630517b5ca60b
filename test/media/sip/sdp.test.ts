import { describe, expect, it } from 'vitest';
import { fmtpParameters, mediaAddress, parseSdp } from '../../../src/media/sip/index.js';
import { ANSWER, OFFER, sdp } from './messages.js';

describe('SDP (RFC 8866)', () => {
  it('an offer: origin, session c=, m= with dynamic payload types, rtpmap, fmtp, ptime, direction', () => {
    const s = parseSdp(OFFER)!;
    expect(s.origin).toEqual({ username: 'alice', sessionId: '2890844526', sessionVersion: '2890844526', addressType: 'IP4', address: '192.0.2.10' });
    expect(s.connectionAddress).toBe('192.0.2.10');
    expect(s.connection).toEqual({ addressType: 'IP4', address: '192.0.2.10' });
    expect(s.media.length).toBe(1);
    const audio = s.media[0]!;
    expect(audio).toMatchObject({ type: 'audio', port: 40000, portCount: 1, protocol: 'RTP/AVP', formats: [96, 97, 98, 101, 13], ptime: 20, direction: 'sendrecv', rtcpMux: false });
    expect(audio.connectionAddress).toBeUndefined();
    expect(mediaAddress(s, audio)).toBe('192.0.2.10');
    expect([...audio.rtpmap]).toEqual([
      [96, { encoding: 'G722', clockRate: 8000 }],
      [97, { encoding: 'PCMA', clockRate: 8000 }],
      [98, { encoding: 'G729', clockRate: 8000 }],
      [101, { encoding: 'telephone-event', clockRate: 8000 }],
    ]);
    expect(audio.fmtp.get(98)).toBe('annexb=no');
    expect(audio.fmtp.get(101)).toBe('0-16');
    expect(fmtpParameters('annexb=no')).toEqual(new Map([['annexb', 'no']]));
    expect(fmtpParameters('mode=30; annexb = yes')).toEqual(new Map([['mode', '30'], ['annexb', 'yes']]));
    expect(fmtpParameters('0-15')).toEqual(new Map([['', '0-15']]));
  });

  it('media-level c= overrides the session; an answer with its c= after m=', () => {
    const s = parseSdp(ANSWER)!;
    expect(s.connectionAddress).toBeUndefined();
    expect(s.media[0]!.connectionAddress).toBe('198.51.100.20');
    expect(mediaAddress(s, s.media[0]!)).toBe('198.51.100.20');
  });

  it('IPv6 c= lines, multicast suffixes, a=rtcp, rtcp-mux, session direction, channels, several m= sections', () => {
    const s = parseSdp(
      sdp([
        'v=0',
        'o=- 1 2 IN IP6 2001:db8::10',
        's=call',
        'c=IN IP6 2001:DB8:0:0:0:0:0:10',
        't=0 0',
        'a=sendonly',
        'm=audio 40000 RTP/AVP 9 8 101',
        'a=rtpmap:9 G722/8000',
        'a=rtpmap:8 PCMA/8000/1',
        'a=rtcp:40101 IN IP6 2001:db8::11',
        'm=audio 40002/2 RTP/AVP 111',
        'c=IN IP4 233.252.0.1/127/2',
        'a=rtpmap:111 opus/48000/2',
        'a=rtcp-mux',
        'a=recvonly',
        'a=maxptime:40',
        'm=video 0 RTP/AVP 96',
        'm=image 6000 udptl t38',
        'a=inactive',
      ]),
    )!;
    expect(s.connection).toEqual({ addressType: 'IP6', address: '2001:DB8:0:0:0:0:0:10' });
    expect(s.direction).toBe('sendonly');
    expect(s.sessionName).toBe('call');
    const [first, second, video, image] = s.media;
    expect(first).toMatchObject({ port: 40000, direction: 'sendonly', rtcp: { port: 40101, address: '2001:db8::11' } });
    expect(first!.rtpmap.get(8)).toEqual({ encoding: 'PCMA', clockRate: 8000, channels: 1 });
    expect(second).toMatchObject({ port: 40002, portCount: 2, connectionAddress: '233.252.0.1', direction: 'recvonly', rtcpMux: true, maxptime: 40 });
    expect(second!.rtpmap.get(111)).toEqual({ encoding: 'opus', clockRate: 48000, channels: 2 });
    expect(video).toMatchObject({ type: 'video', port: 0, direction: 'sendonly' });
    expect(image).toMatchObject({ type: 'image', port: 6000, protocol: 'udptl', formats: [], formatNames: ['t38'], direction: 'inactive' });
  });

  it('junk is tolerated: not SDP at all, malformed lines, out-of-range numbers', () => {
    expect(parseSdp('hello')).toBeUndefined();
    expect(parseSdp('')).toBeUndefined();
    expect(parseSdp('x'.repeat(70000))).toBeUndefined();
    const s = parseSdp(
      sdp([
        'v=0',
        'c=IN IP4',
        'garbage line',
        '=',
        'm=audio 99999 RTP/AVP 0',
        'a=rtpmap:0 PCMU/8000',
        'm=audio notaport RTP/AVP 0',
        'a=rtpmap:5 stray/8000',
        'm=audio 1234 RTP/AVP 0 300 abc 18',
        'a=rtpmap:300 X/8000',
        'a=rtpmap:18 G729',
        'a=fmtp:18',
        'a=ptime:abc',
        'a=rtcp:70000',
        'c=IN IP9 1.2.3.4',
      ]),
    )!;
    expect(s.connectionAddress).toBeUndefined();
    // Malformed m= lines open sections that are dropped, so their attributes do not stick to the next one.
    expect(s.media.length).toBe(1);
    expect(s.media[0]).toMatchObject({ port: 1234, formats: [0, 18], formatNames: ['0', '300', 'abc', '18'] });
    expect(s.media[0]!.rtpmap.size).toBe(0);
    expect(s.media[0]!.fmtp.size).toBe(0);
    expect(s.media[0]!.ptime).toBeUndefined();
    expect(s.media[0]!.rtcp).toBeUndefined();
  });
});
