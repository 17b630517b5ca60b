import { describe, expect, it } from 'vitest';
import { SipDialogTracker, parseSip } from '../../../src/media/sip/index.js';
import type { SignallingDirectory } from '../../../src/media/calls/index.js';
import { ANSWER, CALLEE, CALLEE_MOVED, CALLER, CALL_FLOW, CALL_ID, INVITE, OFFER, enc, sdp, sip } from './messages.js';
import type { CapturedMessage } from './messages.js';
import { mulberry32 } from '../../../src/platform/util/index.js';

function track(messages: readonly CapturedMessage[], tracker = new SipDialogTracker()): SipDialogTracker {
  for (const m of messages) expect(tracker.offer({ ...m, payload: enc(m.text) })).toBe(true);
  return tracker;
}

/** A message of another call between the same hosts: the test's call with a new Call-ID and tags. */
function otherCall(text: string, callId: string): string {
  return text.replaceAll(CALL_ID, callId);
}

describe('SIP dialog tracking', () => {
  it('INVITE/100/183/180/200/ACK/INFO/re-INVITE/BYE: parties, progress times, direction hints', () => {
    const tracker = track(CALL_FLOW);
    expect(tracker.messages).toBe(CALL_FLOW.length);
    const calls = tracker.calls();
    expect(calls.length).toBe(1);
    const call = calls[0]!;
    expect(call).toMatchObject({
      callId: CALL_ID,
      caller: { number: '+390612345678', name: 'Alice Rossi', host: 'example.com' },
      callee: { number: '201', host: 'example.org' },
      callerIdentity: { number: '+390612345678', name: 'Alice Rossi' },
      callerSignalling: { address: CALLER.address, port: 5060 },
      calleeSignalling: { address: CALLEE.address, port: 5060 },
      callerAgent: 'DeskPhone/1.0',
      calleeAgent: 'PBX/13r2',
      state: 'terminated',
      finalStatus: 200,
      inviteTime: 100,
      ringingTime: 100.5,
      answerTime: 105,
      endTime: 130,
      endedBy: 'caller',
      partial: false,
      infoDigits: [{ digit: '5', time: 110, role: 'caller' }],
    });
    // Offer, answer (183, repeated unchanged by the 200), re-offer, re-answer.
    expect(call.media.map((m) => [m.role, m.address, m.port, m.source, m.since, m.until, m.early])).toEqual([
      ['caller', CALLER.address, CALLER.rtpPort, 'offer', 100, 120.05, false],
      ['callee', CALLEE.address, CALLEE.rtpPort, 'answer', 100.5, 120, false],
      ['callee', CALLEE_MOVED.address, CALLEE_MOVED.rtpPort, 'offer', 120, 130, false],
      ['caller', CALLER.address, CALLER.rtpPort, 'answer', 120.05, 130, false],
    ]);
    expect(tracker.call('nope')).toBeUndefined();
  });

  it('mediaInfoFor: codec map per endpoint, party and role, early media, moves and the end of the call', () => {
    const tracker = track(CALL_FLOW);
    const caller = tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort, 110)!;
    expect(caller).toMatchObject({ callId: CALL_ID, role: 'caller', party: { number: '+390612345678', name: 'Alice Rossi' }, peer: { number: '201' } });
    expect([...caller.codecMap]).toEqual([
      [96, { encoding: 'G722', clockRate: 8000, channels: 1 }],
      [97, { encoding: 'PCMA', clockRate: 8000, channels: 1 }],
      [98, { encoding: 'G729', clockRate: 8000, channels: 1, fmtp: 'annexb=no' }],
      [101, { encoding: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' }],
      [13, { encoding: 'CN', clockRate: 8000, channels: 1 }], // static: from RFC 3551, no rtpmap needed
    ]);
    expect(caller.endpoint.rtcp).toEqual({ address: CALLER.address, port: CALLER.rtpPort + 1 });
    expect(caller.endpoint.protocol).toBe('RTP/AVP');
    // Early media: the 183 at 100.5 already names the callee's endpoint.
    const early = tracker.mediaInfoFor(CALLEE.address, CALLEE.rtpPort, 101)!;
    expect(early).toMatchObject({ role: 'callee', party: { number: '201' } });
    expect([...early.codecMap.keys()]).toEqual([102, 100]);
    // After the re-INVITE the callee's media comes from the new endpoint; the old one only claims stragglers.
    expect(tracker.mediaInfoFor(CALLEE.address, CALLEE.rtpPort, 121)?.role).toBe('callee');
    expect(tracker.mediaInfoFor(CALLEE.address, CALLEE.rtpPort, 125)).toBeUndefined();
    expect(tracker.mediaInfoFor(CALLEE_MOVED.address, CALLEE_MOVED.rtpPort, 125)).toMatchObject({ role: 'callee', callId: CALL_ID });
    expect(tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort, 125)!.codecMap.has(96)).toBe(false); // the re-answer narrowed it
    // After the BYE (+ grace) nothing belongs to the call; without a time, the latest announcement.
    expect(tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort, 140)).toBeUndefined();
    expect(tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort)!.endpoint.source).toBe('answer');
    expect(tracker.mediaInfoFor('203.0.113.1', 4000, 110)).toBeUndefined();
    expect(tracker.isRtcpEndpoint(CALLER.address, CALLER.rtpPort + 1)).toBe(true);
    expect(tracker.isRtcpEndpoint(CALLER.address, CALLER.rtpPort)).toBe(false);
  });

  it('works as the demuxer signalling directory: payload types are read with the receiver’s numbers first', () => {
    const directory: SignallingDirectory = track(CALL_FLOW);
    // Caller → callee at 110: 102 is PCMA in the callee's answer (the receiver); 97 only in the caller's own offer.
    expect(directory.payloadType(CALLER.address, CALLER.rtpPort, CALLEE.address, CALLEE.rtpPort, 102, 110)).toMatchObject({ encoding: 'PCMA' });
    expect(directory.payloadType(CALLER.address, CALLER.rtpPort, CALLEE.address, CALLEE.rtpPort, 97, 110)).toMatchObject({ encoding: 'PCMA' });
    expect(directory.payloadType(CALLEE.address, CALLEE.rtpPort, CALLER.address, CALLER.rtpPort, 98, 110)).toMatchObject({ encoding: 'G729' });
    expect(directory.payloadType(CALLER.address, CALLER.rtpPort, CALLEE.address, CALLEE.rtpPort, 55, 110)).toBeUndefined();
    expect(directory.describes('10.9.9.9', 1, CALLEE.address, CALLEE.rtpPort, 110)).toBe(true);
    expect(directory.describes('10.9.9.9', 1, '10.9.9.8', 2, 110)).toBe(false);
    expect(directory.mediaOwner(CALLEE_MOVED.address, CALLEE_MOVED.rtpPort, 125)).toEqual({ callId: CALL_ID, role: 'callee', party: { number: '201', host: 'example.org' }, peer: { number: '+390612345678', name: 'Alice Rossi', host: 'example.com' } });
    expect(directory.offer({ frame: 1, time: 0, src: 'a', srcPort: 1, dst: 'b', dstPort: 2, payload: Uint8Array.of(0x80, 8, 0, 1) })).toBe(false);
  });

  it('a re-INVITE answered 488 is undone: the media stays where it was', () => {
    const failedMove = [
      CALL_FLOW[8]!, // callee re-INVITE offering the new endpoint
      { ...CALL_FLOW[9]!, text: sip(['SIP/2.0 488 Not Acceptable Here', 'From: <sip:201@example.org>;tag=a6c85cf', 'To: <sip:+390612345678@example.com>;tag=1928301774', `Call-ID: ${CALL_ID}`, 'CSeq: 1 INVITE']) },
    ];
    const tracker = track([...CALL_FLOW.slice(0, 6), ...failedMove]);
    expect(tracker.mediaInfoFor(CALLEE_MOVED.address, CALLEE_MOVED.rtpPort, 125)).toBeUndefined();
    expect(tracker.mediaInfoFor(CALLEE.address, CALLEE.rtpPort, 125)).toMatchObject({ role: 'callee' });
    expect(tracker.call(CALL_ID)!.media.every((m) => m.until === undefined)).toBe(true);
    expect(tracker.call(CALL_ID)!.state).toBe('confirmed');
  });

  it('IPv6 media: an uncompressed, upper-case c= line matches the compressed address a capture reports', () => {
    const offer = OFFER.replace('c=IN IP4 192.0.2.10', 'c=IN IP6 2001:DB8:0:0:0:0:0:10');
    const answer = ANSWER.replace('c=IN IP4 198.51.100.20', 'c=IN IP6 2001:db8:0::20');
    const v6 = (m: CapturedMessage, text: string): CapturedMessage => ({ ...m, text, src: m.src === CALLER.address ? '2001:db8::10' : '2001:db8::20', dst: m.dst === CALLER.address ? '2001:db8::10' : '2001:db8::20' });
    const tracker = track([v6(CALL_FLOW[0]!, INVITE.replace(OFFER, offer).replace(/Content-Length: \d+/, `Content-Length: ${enc(offer).length}`)), v6(CALL_FLOW[4]!, CALL_FLOW[4]!.text.replace(ANSWER, answer).replace(/Content-Length: \d+/, `Content-Length: ${enc(answer).length}`))]);
    expect(tracker.mediaInfoFor('2001:db8::10', CALLER.rtpPort, 106)).toMatchObject({ role: 'caller' });
    expect(tracker.mediaInfoFor('2001:DB8::20', CALLEE.rtpPort, 106)).toMatchObject({ role: 'callee' });
    expect(tracker.call(CALL_ID)!.media.map((m) => m.address)).toEqual(['2001:db8::10', '2001:db8::20']);
    expect(tracker.call(CALL_ID)!.callerSignalling).toEqual({ address: '2001:db8::10', port: 5060 });
  });

  it('forked early media: two branches send 183 with SDP, the 200 of one ends the other', () => {
    const branch = (tag: string, address: string, time: number, status = '183 Session Progress'): CapturedMessage => {
      const body = ANSWER.replaceAll(CALLEE.address, address);
      return { ...CALL_FLOW[2]!, src: address, time, text: sip([`SIP/2.0 ${status}`, 'From: <sip:+390612345678@example.com>;tag=1928301774', `To: <sip:201@example.org>;tag=${tag}`, `Call-ID: ${CALL_ID}`, 'CSeq: 314159 INVITE', 'Content-Type: application/sdp'], body) };
    };
    const tracker = track([CALL_FLOW[0]!, branch('fork-a', '198.51.100.31', 100.4), branch('fork-b', '198.51.100.32', 100.5), branch('fork-b', '198.51.100.32', 103, '200 OK')]);
    expect(tracker.mediaInfoFor('198.51.100.31', CALLEE.rtpPort, 101)).toMatchObject({ role: 'callee' });
    expect(tracker.mediaInfoFor('198.51.100.32', CALLEE.rtpPort, 101)).toMatchObject({ role: 'callee' });
    expect(tracker.mediaInfoFor('198.51.100.31', CALLEE.rtpPort, 110)).toBeUndefined();
    expect(tracker.mediaInfoFor('198.51.100.32', CALLEE.rtpPort, 110)!.endpoint.early).toBe(false);
  });

  it('delayed offer: INVITE without SDP, the offer in the 200, the answer in the ACK', () => {
    const invite = sip(['INVITE sip:201@example.org SIP/2.0', 'From: <sip:100@pbx>;tag=x1', 'To: <sip:201@pbx>', 'Call-ID: late@pbx', 'CSeq: 1 INVITE']);
    const ok = sip(['SIP/2.0 200 OK', 'From: <sip:100@pbx>;tag=x1', 'To: <sip:201@pbx>;tag=y1', 'Call-ID: late@pbx', 'CSeq: 1 INVITE', 'Content-Type: application/sdp'], ANSWER);
    const ack = sip(['ACK sip:201@198.51.100.20 SIP/2.0', 'From: <sip:100@pbx>;tag=x1', 'To: <sip:201@pbx>;tag=y1', 'Call-ID: late@pbx', 'CSeq: 1 ACK', 'Content-Type: application/sdp'], OFFER);
    const base = { srcPort: 5060, dstPort: 5060 };
    const tracker = track([
      { ...base, text: invite, time: 1, src: CALLER.address, dst: CALLEE.address },
      { ...base, text: ok, time: 2, src: CALLEE.address, dst: CALLER.address },
      { ...base, text: ack, time: 2.1, src: CALLER.address, dst: CALLEE.address },
    ]);
    expect(tracker.mediaInfoFor(CALLEE.address, CALLEE.rtpPort, 3)).toMatchObject({ role: 'callee', party: { number: '201' } });
    expect(tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort, 3)).toMatchObject({ role: 'caller', party: { number: '100' } });
    expect(tracker.call('late@pbx')!.media.map((m) => m.source)).toEqual(['answer', 'answer']);
  });

  it('busy, cancelled, and calls whose capture began mid-dialog; other requests make no call', () => {
    const failed = (status: string, callId: string): CapturedMessage[] => [
      { ...CALL_FLOW[0]!, text: otherCall(INVITE, callId) },
      { ...CALL_FLOW[1]!, time: 101, text: sip([`SIP/2.0 ${status}`, 'From: <sip:+390612345678@example.com>;tag=1928301774', 'To: <sip:201@example.org>;tag=zz', `Call-ID: ${callId}`, 'CSeq: 314159 INVITE']) },
    ];
    const tracker = track([...failed('486 Busy Here', 'busy'), ...failed('487 Request Terminated', 'cancel')]);
    expect(tracker.call('busy')).toMatchObject({ state: 'failed', finalStatus: 486, endTime: 101, endedBy: 'callee' });
    expect(tracker.call('cancel')).toMatchObject({ state: 'cancelled', finalStatus: 487 });
    expect(tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort, 105)).toBeUndefined();

    const others = [
      sip(['REGISTER sip:example.com SIP/2.0', 'From: <sip:100@example.com>;tag=r', 'To: <sip:100@example.com>', 'Call-ID: reg-1', 'CSeq: 1 REGISTER']),
      sip(['OPTIONS sip:example.com SIP/2.0', 'Call-ID: opt-1', 'CSeq: 1 OPTIONS']),
      sip(['SIP/2.0 200 OK', 'Call-ID: reg-1', 'CSeq: 1 REGISTER']),
      sip(['NOTIFY sip:100@example.com SIP/2.0', 'CSeq: 3 NOTIFY']), // no Call-ID at all
    ];
    const quiet = track(others.map((text, i) => ({ ...CALL_FLOW[0]!, text, time: i })));
    expect(quiet.calls()).toEqual([]);
    expect(quiet.messages).toBe(4);

    // The capture starts with the callee's re-INVITE: roles are guessed from it, and the call is marked partial.
    const mid = track([CALL_FLOW[8]!, CALL_FLOW[9]!]);
    expect(mid.call(CALL_ID)).toMatchObject({ partial: true, state: 'confirmed', caller: { number: '201' } });
    expect(mid.mediaInfoFor(CALLEE_MOVED.address, CALLEE_MOVED.rtpPort, 121)).toMatchObject({ party: { number: '201' } });
  });

  it('retransmissions add nothing; c=0.0.0.0 hold keeps the endpoint, port 0 ends it', () => {
    const tracker = track([CALL_FLOW[0]!, { ...CALL_FLOW[0]!, time: 100.5 }, { ...CALL_FLOW[0]!, time: 101.5 }, ...CALL_FLOW.slice(1, 6)]);
    expect(tracker.call(CALL_ID)!.media.length).toBe(2);
    const reinvite = (body: string, cseq: number, time: number): CapturedMessage => ({
      ...CALL_FLOW[0]!,
      time,
      text: sip(['INVITE sip:201@198.51.100.20 SIP/2.0', 'From: "Alice Rossi" <sip:+390612345678@example.com>;tag=1928301774', 'To: <sip:201@example.org>;tag=a6c85cf', `Call-ID: ${CALL_ID}`, `CSeq: ${cseq} INVITE`, 'Content-Type: application/sdp'], body),
    });
    track([reinvite(OFFER.replace('c=IN IP4 192.0.2.10', 'c=IN IP4 0.0.0.0'), 400000, 110)], tracker);
    expect(tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort, 115)).toMatchObject({ role: 'caller' });
    track([reinvite(OFFER.replace(`m=audio ${CALLER.rtpPort}`, 'm=audio 0'), 400001, 120)], tracker);
    expect(tracker.mediaInfoFor(CALLER.address, CALLER.rtpPort, 125)).toBeUndefined();
    expect(tracker.mediaInfoFor(CALLEE.address, CALLEE.rtpPort, 125)).toMatchObject({ role: 'callee' });
  });

  it('SIP INFO keys in both body forms, and the parse path for a message given directly', () => {
    const tracker = new SipDialogTracker();
    track([CALL_FLOW[0]!], tracker);
    const info = (type: string, body: string, time: number): void => {
      tracker.add(parseSip(enc(sip(['INFO sip:201@198.51.100.20 SIP/2.0', 'From: <sip:+390612345678@example.com>;tag=1928301774', 'To: <sip:201@example.org>;tag=a6c85cf', `Call-ID: ${CALL_ID}`, `CSeq: ${time} INFO`, `Content-Type: ${type}`], body)))!, { ...CALL_FLOW[0]!, time });
    };
    info('application/dtmf-relay', 'Signal= #\r\nDuration= 250\r\n', 1);
    info('application/dtmf-relay', 'Signal=10\r\nDuration=250\r\n', 2);
    info('application/dtmf', '7', 3);
    info('text/plain', 'Signal=1', 4);
    expect(tracker.call(CALL_ID)!.infoDigits.map((d) => d.digit).join('')).toBe('#*7');
  });

  it('junk bodies: binary or half-SDP bodies announce nothing and break nothing', () => {
    const junkInvite = (body: string, callId: string): CapturedMessage => ({
      ...CALL_FLOW[0]!,
      text: sip(['INVITE sip:201@example.org SIP/2.0', 'From: <sip:100@pbx>;tag=j1', 'To: <sip:201@pbx>', `Call-ID: ${callId}`, 'CSeq: 1 INVITE', 'Content-Type: application/sdp'], body),
    });
    const binary = String.fromCharCode(...Array.from({ length: 200 }, (_, i) => (i * 37) % 256));
    const halfSdp = 'v=0\r\nc=IN IP4 192.0.2.99\r\nm=audio\r\nm=audio 7000 RTP/AVP\r\na=rtpmap:96\r\n\u0000\u0001m=audio 0 RTP/AVP 8\r\n';
    const noAddress = 'v=0\r\nm=audio 7002 RTP/AVP 8\r\n';
    const tracker = track([junkInvite(binary, 'j-bin'), junkInvite(halfSdp, 'j-half'), junkInvite(noAddress, 'j-noaddr')]);
    expect(tracker.calls().map((c) => [c.callId, c.media.length])).toEqual([
      ['j-bin', 0],
      ['j-half', 1],
      ['j-noaddr', 0],
    ]);
    // The one usable m= line of the half SDP: a port and the session address, with no payload types.
    expect(tracker.mediaInfoFor('192.0.2.99', 7000, 100)!.codecMap.size).toBe(0);
  });

  it('calls are independent: any interleaving of two calls gives each the result it has alone', () => {
    // Call B: the same flow between other hosts and ports, under another Call-ID.
    const callB = CALL_FLOW.map((m) => {
      const swap = (address: string): string => (address === CALLER.address ? '192.0.2.110' : address === CALLEE.address ? '198.51.100.120' : address);
      const text = otherCall(m.text, 'call-b@example.net').replaceAll('192.0.2.10', '192.0.2.110').replaceAll('198.51.100.2', '198.51.100.12').replaceAll('40000', '41000');
      return { ...m, text: text.replace(/Content-Length: \d+\r\n\r\n([\s\S]*)$/, (_, body: string) => `Content-Length: ${enc(body).length}\r\n\r\n${body}`).replace(/\nl: \d+\r\n\r\n([\s\S]*)$/, (_, body: string) => `\nl: ${enc(body).length}\r\n\r\n${body}`), src: swap(m.src), dst: swap(m.dst) };
    });
    const alone = [track(CALL_FLOW).call(CALL_ID), track(callB).call('call-b@example.net')];
    expect(alone[1]!.media.map((m) => `${m.address}:${m.port}`)).toEqual(['192.0.2.110:41000', '198.51.100.120:50000', '198.51.100.121:50002', '192.0.2.110:41000']);
    const random = mulberry32(5);
    for (let round = 0; round < 100; round++) {
      const merged: CapturedMessage[] = [];
      let a = 0;
      let b = 0;
      while (a < CALL_FLOW.length || b < callB.length) {
        if (b >= callB.length || (a < CALL_FLOW.length && random() < 0.5)) merged.push(CALL_FLOW[a++]!);
        else merged.push(callB[b++]!);
      }
      const tracker = track(merged);
      expect([tracker.call(CALL_ID), tracker.call('call-b@example.net')]).toEqual(alone);
    }
  });

  it('SDP variants in one session: a second audio section gets its own endpoint', () => {
    const two = sdp(['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 40000 RTP/AVP 8', 'm=audio 40010 RTP/AVP 0', 'a=rtcp-mux']);
    const tracker = track([{ ...CALL_FLOW[0]!, text: INVITE.replace(OFFER, two).replace(/Content-Length: \d+/, `Content-Length: ${enc(two).length}`) }]);
    expect(tracker.mediaInfoFor(CALLER.address, 40000, 100)!.codecMap.get(8)).toMatchObject({ encoding: 'PCMA' });
    expect(tracker.mediaInfoFor(CALLER.address, 40010, 100)!.codecMap.get(0)).toMatchObject({ encoding: 'PCMU' });
    expect(tracker.mediaInfoFor(CALLER.address, 40010, 100)!.endpoint.rtcp.port).toBe(40010);
    expect(tracker.isRtcpEndpoint(CALLER.address, 40011)).toBe(false);
  });
});
