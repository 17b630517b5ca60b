// Following SIP INVITE dialogs in a capture: parties, call progress, and the media endpoints and
// payload types each side announced (RFC 3261 dialogs, RFC 3264 offer/answer).
import { staticPayloadTypes } from '../rtp/index.js';
import { canonicalAddress, isUnspecifiedAddress } from './address.js';
import { headerValue, parseNameAddr, parseSip, sdpBodyOf } from './message.js';
import type { NameAddr, SipMessage } from './message.js';
import { mediaAddress, parseSdp } from './sdp.js';
import type { SdpDirection, SdpMedia, SdpSession } from './sdp.js';
import { SipTcpFramer } from './tcp-framer.js';
import type { SipTcpSegment } from './tcp-framer.js';

/** Where a datagram came from and went to, and when (a UdpDatagram fits). */
export interface SipDatagramMeta {
  readonly time: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
}

/** A party of a call: number (URI user part), display name, host. */
export interface SipParty {
  readonly number?: string;
  readonly name?: string;
  readonly host?: string;
}

export type SipRole = 'caller' | 'callee';

/** What a payload type stands for on one media endpoint. */
export interface CodecMapping {
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number;
  readonly fmtp?: string;
}

/** A transport address. */
export interface SipEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * One announcement of where a side receives (and, with symmetric RTP, sends)
 * audio: from an offer or answer in SDP. A re-INVITE that moves the media
 * closes the old announcement (`until`) and adds a new one (`since`).
 */
export interface MediaEndpoint extends SipEndpoint {
  readonly callId: string;
  readonly role: SipRole;
  /** Index of the m= section in the SDP. */
  readonly mediaIndex: number;
  /** Transport from the m= line: RTP/AVP, or RTP/SAVP and RTP/SAVPF for SRTP, whose payloads are encrypted. */
  readonly protocol: string;
  readonly codecMap: ReadonlyMap<number, CodecMapping>;
  /** Payload types in the announcer's order of preference. */
  readonly formats: readonly number[];
  readonly ptime?: number;
  readonly direction: SdpDirection;
  /** Where RTCP for this endpoint goes: the RTP port itself with rtcp-mux. */
  readonly rtcp: SipEndpoint;
  /** Capture time of the message that announced it. */
  readonly since: number;
  /** Capture time from which it no longer applies (moved, rejected, call over). */
  readonly until?: number;
  /** Announced in a provisional response (early media, e.g. 183 Session Progress) and not yet confirmed by a 2xx. */
  readonly early: boolean;
  readonly source: 'offer' | 'answer';
}

export type SipCallState = 'calling' | 'proceeding' | 'early' | 'confirmed' | 'terminated' | 'failed' | 'cancelled';

/** A key sent in a SIP INFO request (application/dtmf-relay or application/dtmf). */
export interface SipInfoDigit {
  readonly digit: string;
  readonly time: number;
  readonly role: SipRole;
}

/** Everything learnt about one Call-ID. */
export interface SipCall {
  readonly callId: string;
  /** From of the initial INVITE. */
  readonly caller: SipParty;
  /** To of the initial INVITE. */
  readonly callee: SipParty;
  /** P-Asserted-Identity (or Remote-Party-ID) of the initial INVITE: the network-asserted caller. */
  readonly callerIdentity?: SipParty;
  /** Direction hints: where the initial INVITE came from and went to. */
  readonly callerSignalling?: SipEndpoint;
  readonly calleeSignalling?: SipEndpoint;
  /** User-Agent / Server header of each side. */
  readonly callerAgent?: string;
  readonly calleeAgent?: string;
  readonly state: SipCallState;
  /** Final status of the initial INVITE. */
  readonly finalStatus?: number;
  readonly inviteTime?: number;
  /** First 180/183. */
  readonly ringingTime?: number;
  /** First 2xx to the initial INVITE. */
  readonly answerTime?: number;
  /** BYE, or the failure/cancel final response. */
  readonly endTime?: number;
  readonly endedBy?: SipRole;
  /** The capture began after the initial INVITE: roles are guessed from the first message seen. */
  readonly partial: boolean;
  /** Every media announcement, in capture order. */
  readonly media: readonly MediaEndpoint[];
  readonly infoDigits: readonly SipInfoDigit[];
}

/** What the RTP demuxer needs to know about a media endpoint. */
export interface MediaInfo {
  readonly callId: string;
  readonly codecMap: ReadonlyMap<number, CodecMapping>;
  /** The party that receives at (and sends from) this endpoint. */
  readonly party: SipParty;
  readonly role: SipRole;
  /** The other party of the call. */
  readonly peer: SipParty;
  readonly endpoint: MediaEndpoint;
}

export interface SipDialogTrackerOptions {
  /**
   * Media may be captured a little before the message announcing it (taps on
   * different links, clock steps): an announcement applies this many seconds
   * before its own capture time (default 1).
   */
  readonly leadSeconds?: number;
  /** A closed announcement still claims packets this many seconds after `until` (stragglers; default 2). */
  readonly graceSeconds?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type EndpointRecord = Mutable<MediaEndpoint> & { tag: string };
type CallRecord = Omit<Mutable<SipCall>, 'media' | 'infoDigits'> & {
  media: EndpointRecord[];
  /** Announcements still in force (no `until`). */
  open: Set<EndpointRecord>;
  infoDigits: SipInfoDigit[];
  callerTag?: string;
  initialCseq?: number;
  /** Offers awaiting their final response, by "cseq method": what to undo if it fails. */
  pending: Map<string, { added: EndpointRecord[]; closed: EndpointRecord[] }>;
  /** Last SDP text announced per side and tag, to skip retransmissions. */
  lastSdp: Map<string, string>;
};

function partyOf(header: NameAddr | undefined): SipParty {
  if (!header) return {};
  return {
    ...(header.user ? { number: header.user } : {}),
    ...(header.displayName ? { name: header.displayName } : {}),
    ...(header.host ? { host: header.host } : {}),
  };
}

function sameParty(a: NameAddr | undefined, b: SipParty): boolean {
  return (a?.user ?? '') === (b.number ?? '') && (a?.host ?? '') === (b.host ?? '');
}

function endpointKey(address: string, port: number): string {
  return `${canonicalAddress(address)}|${port}`;
}

/** Signals of application/dtmf-relay bodies, as the key they stand for. */
function infoDigit(message: SipMessage): string | undefined {
  const type = headerValue(message, 'content-type')?.split(';')[0]!.trim().toLowerCase();
  const body = message.body?.trim();
  if (!body) return undefined;
  let signal: string | undefined;
  if (type === 'application/dtmf-relay') signal = /^[ \t]*signal[ \t]*=[ \t]*(\S+)/im.exec(body)?.[1];
  else if (type === 'application/dtmf') signal = body;
  if (!signal) return undefined;
  if (/^[0-9*#A-Da-d]$/.test(signal)) return signal.toUpperCase();
  // Some send the RFC 4733 event code instead of the key.
  const code = /^\d{1,2}$/.test(signal) ? Number(signal) : -1;
  return code >= 10 && code <= 15 ? '*#ABCD'[code - 10] : undefined;
}

/**
 * Feed it the SIP messages of a capture in capture order; it keeps, per
 * Call-ID, the parties and the media each side announced, and answers which
 * call, party and payload-type map an RTP endpoint belongs to. Offers whose
 * transaction fails (e.g. a re-INVITE answered 488) are undone; forked early
 * dialogs keep their own media until a 2xx picks one. Its `offer`,
 * `describes`, `payloadType` and `mediaOwner` methods match the demuxer's
 * signalling directory.
 */
export class SipDialogTracker {
  private readonly records = new Map<string, CallRecord>();
  private readonly index = new Map<string, EndpointRecord[]>();
  private readonly rtcpIndex = new Set<string>();
  private readonly lead: number;
  private readonly grace: number;
  /** SIP messages taken. */
  messages = 0;

  private readonly tcp = new SipTcpFramer();

  constructor(options: SipDialogTrackerOptions = {}) {
    this.lead = options.leadSeconds ?? 1;
    this.grace = options.graceSeconds ?? 2;
  }

  /** Take a datagram if it is SIP; false when it is not (then it may be media). */
  offer(datagram: SipDatagramMeta & { readonly payload: Uint8Array }): boolean {
    const payload = datagram.payload;
    // Cheap test before parsing: SIP starts with a letter (method or "SIP/2.0") or keep-alive CRLF; RTP starts with 0x80–0xBF.
    const first = payload[0];
    if (first === undefined || first >= 0x80 || first < 0x0a) return false;
    const message = parseSip(payload);
    if (!message) return false;
    this.add(message, datagram);
    return true;
  }

  /** Take a TCP segment that may carry SIP (RFC 3261 over TCP): whole messages are framed and taken. */
  offerTcp(segment: SipTcpSegment & SipDatagramMeta): void {
    for (const bytes of this.tcp.push(segment)) {
      const message = parseSip(bytes);
      if (message) this.add(message, segment);
    }
  }

  /** Take a parsed message with where and when it was captured. */
  add(message: SipMessage, meta: SipDatagramMeta): void {
    this.messages++;
    const callId = message.callId;
    if (!callId) return;
    const method = message.kind === 'request' ? message.method : message.cseqMethod;
    const sdpText = sdpBodyOf(message);
    let call = this.records.get(callId);
    if (!call) {
      // Only INVITE dialogs (or anything carrying SDP) make a call; REGISTER, OPTIONS, SUBSCRIBE… do not.
      if (method !== 'INVITE' && !sdpText) return;
      call = this.open(callId, message, meta);
    }
    const role = this.senderRole(call, message);
    this.noteAgent(call, message, role);
    if (message.kind === 'request') this.onRequest(call, message, role, meta.time);
    else this.onResponse(call, message, role, meta.time);
    if (sdpText) {
      const sdp = parseSdp(sdpText);
      if (sdp) this.announce(call, message, role, sdp, sdpText, meta.time);
    }
  }

  /** Every call seen, in order of first appearance. */
  calls(): SipCall[] {
    return [...this.records.values()].map((c) => this.snapshot(c));
  }

  /** One call by Call-ID. */
  call(callId: string): SipCall | undefined {
    const record = this.records.get(callId);
    return record ? this.snapshot(record) : undefined;
  }

  /**
   * The call, party and payload-type map behind an RTP endpoint. With a time,
   * the announcement in force then (latest one announced by then, not closed
   * long before); without, the latest. Undefined when no SDP names it.
   */
  mediaInfoFor(address: string, port: number, time?: number): MediaInfo | undefined {
    const endpoint = this.find(address, port, time);
    if (!endpoint) return undefined;
    const call = this.records.get(endpoint.callId)!;
    return {
      callId: endpoint.callId,
      codecMap: endpoint.codecMap,
      party: endpoint.role === 'caller' ? call.caller : call.callee,
      role: endpoint.role,
      peer: endpoint.role === 'caller' ? call.callee : call.caller,
      endpoint: { ...endpoint },
    };
  }

  /** True when SDP named this address and port as an RTCP destination (port + 1, or a=rtcp). */
  isRtcpEndpoint(address: string, port: number): boolean {
    return this.rtcpIndex.has(endpointKey(address, port));
  }

  /** True when SDP announced either end of this flow. */
  describes(src: string, srcPort: number, dst: string, dstPort: number, time: number): boolean {
    return this.find(dst, dstPort, time) !== undefined || this.find(src, srcPort, time) !== undefined;
  }

  /**
   * What a payload type on this flow stands for. The numbers on the wire are
   * those the receiver announced (RFC 3264 §5.1), so its map comes first; the
   * sender's own map is the fallback for one-sided captures.
   */
  payloadType(src: string, srcPort: number, dst: string, dstPort: number, payloadType: number, time: number): CodecMapping | undefined {
    return this.find(dst, dstPort, time)?.codecMap.get(payloadType) ?? this.find(src, srcPort, time)?.codecMap.get(payloadType);
  }

  /** Who sends media from this endpoint. */
  mediaOwner(address: string, port: number, time: number): { callId: string; party: SipParty; role: SipRole; peer: SipParty } | undefined {
    const info = this.mediaInfoFor(address, port, time);
    return info ? { callId: info.callId, party: info.party, role: info.role, peer: info.peer } : undefined;
  }

  private open(callId: string, message: SipMessage, meta: SipDatagramMeta): CallRecord {
    const source = { address: meta.src, port: meta.srcPort };
    const target = { address: meta.dst, port: meta.dstPort };
    const initial = message.kind === 'request' && message.method === 'INVITE' && !message.to?.tag;
    // Mid-dialog start: take the requester (From) for the caller; a response travels back to it.
    const callerIsSource = message.kind === 'request';
    const record: CallRecord = {
      callId,
      caller: partyOf(message.from),
      callee: partyOf(message.to),
      callerSignalling: callerIsSource ? source : target,
      calleeSignalling: callerIsSource ? target : source,
      state: 'calling',
      partial: !initial,
      media: [],
      open: new Set(),
      infoDigits: [],
      pending: new Map(),
      lastSdp: new Map(),
      ...(message.from?.tag ? { callerTag: message.from.tag } : {}),
    };
    if (initial) {
      record.initialCseq = message.cseq;
      record.inviteTime = meta.time;
      const asserted = headerValue(message, 'p-asserted-identity') ?? headerValue(message, 'remote-party-id');
      if (asserted) record.callerIdentity = partyOf(parseNameAddr(asserted.split(',')[0]!));
    } else if (message.kind === 'response' || message.to?.tag) record.state = 'confirmed';
    this.records.set(callId, record);
    return record;
  }

  /** Which side sent the message: requests come from their From party, responses from the other side. */
  private senderRole(call: CallRecord, message: SipMessage): SipRole {
    const fromTag = message.from?.tag;
    const fromIsCaller = call.callerTag !== undefined && fromTag !== undefined ? fromTag === call.callerTag : sameParty(message.from, call.caller);
    if (message.kind === 'request') return fromIsCaller ? 'caller' : 'callee';
    return fromIsCaller ? 'callee' : 'caller';
  }

  /** The dialog tag of the sender: From tag of a request, To tag of a response. */
  private senderTag(message: SipMessage): string {
    return (message.kind === 'request' ? message.from?.tag : message.to?.tag) ?? '';
  }

  private noteAgent(call: CallRecord, message: SipMessage, role: SipRole): void {
    const agent = headerValue(message, message.kind === 'request' ? 'user-agent' : 'server') ?? headerValue(message, 'user-agent');
    if (!agent) return;
    if (role === 'caller') call.callerAgent ??= agent;
    else call.calleeAgent ??= agent;
  }

  private onRequest(call: CallRecord, message: SipMessage & { kind: 'request' }, role: SipRole, time: number): void {
    switch (message.method) {
      case 'INVITE':
        if (call.inviteTime === undefined && !message.to?.tag) call.inviteTime = time;
        break;
      case 'BYE':
        if (call.endTime === undefined) {
          call.endTime = time;
          call.endedBy = role;
          call.state = 'terminated';
          this.closeAll(call, time);
        }
        break;
      case 'INFO': {
        const digit = infoDigit(message);
        if (digit) call.infoDigits.push({ digit, time, role });
        break;
      }
      default:
        break;
    }
  }

  private onResponse(call: CallRecord, message: SipMessage & { kind: 'response' }, role: SipRole, time: number): void {
    const method = message.cseqMethod;
    const status = message.status;
    const transaction = `${message.cseq ?? ''} ${method ?? ''}`;
    if (status >= 200) {
      const pending = call.pending.get(transaction);
      call.pending.delete(transaction);
      if (pending && status >= 300) this.undo(pending);
    }
    if (method !== 'INVITE') return;
    const initial = call.initialCseq === undefined || message.cseq === call.initialCseq;
    if (!initial || call.endTime !== undefined) return;
    if (status < 200) {
      if (status === 180 || status === 183) {
        call.ringingTime ??= time;
        if (call.state === 'calling' || call.state === 'proceeding') call.state = 'early';
      } else if (call.state === 'calling') call.state = 'proceeding';
      return;
    }
    if (status < 300) {
      if (call.answerTime === undefined) {
        call.answerTime = time;
        call.finalStatus = status;
        call.state = 'confirmed';
        // The answering branch wins: other forks' early media ends; its own early announcements are now confirmed.
        const tag = this.senderTag(message);
        for (const endpoint of call.open) {
          if (endpoint.role !== 'callee') continue;
          if (endpoint.tag === tag || tag === '') endpoint.early = false;
          else this.close(call, endpoint, time);
        }
      }
      return;
    }
    call.finalStatus = status;
    call.state = status === 487 ? 'cancelled' : 'failed';
    call.endTime = time;
    call.endedBy = role;
    this.closeAll(call, time);
  }

  private announce(call: CallRecord, message: SipMessage, role: SipRole, sdp: SdpSession, sdpText: string, time: number): void {
    const tag = this.senderTag(message);
    const sideKey = `${role} ${tag}`;
    const provisional = message.kind === 'response' && message.status < 200;
    if (call.lastSdp.get(sideKey) === sdpText) {
      // A retransmission, or the 200 repeating the 183's SDP: nothing moves, but early media is now confirmed.
      if (!provisional) for (const endpoint of call.open) if (endpoint.role === role && endpoint.tag === tag) endpoint.early = false;
      return;
    }
    call.lastSdp.set(sideKey, sdpText);
    // An SDP in a request is an offer unless it completes one (ACK, PRACK answering an offer in a reliable 1xx).
    const source: 'offer' | 'answer' = message.kind === 'request' && message.method !== 'ACK' && message.method !== 'PRACK' ? 'offer' : 'answer';
    const change = { added: [] as EndpointRecord[], closed: [] as EndpointRecord[] };
    sdp.media.forEach((media, mediaIndex) => {
      if (media.type !== 'audio') return;
      const address = mediaAddress(sdp, media);
      // c=0.0.0.0 is a hold by the old convention: the side still sends from where it was, so keep its endpoint.
      if (media.port !== 0 && (!address || isUnspecifiedAddress(address))) return;
      for (const endpoint of call.open) {
        if (endpoint.role === role && endpoint.tag === tag && endpoint.mediaIndex === mediaIndex) {
          this.close(call, endpoint, time);
          change.closed.push(endpoint);
        }
      }
      if (media.port === 0 || !address) return;
      const endpoint = this.endpointFrom(call.callId, role, tag, media, mediaIndex, address, time, provisional, source);
      call.media.push(endpoint);
      call.open.add(endpoint);
      this.indexEndpoint(endpoint, media);
      change.added.push(endpoint);
    });
    if (message.kind === 'request' && source === 'offer' && message.cseq !== undefined) {
      call.pending.set(`${message.cseq} ${message.method}`, change);
    }
  }

  private endpointFrom(
    callId: string,
    role: SipRole,
    tag: string,
    media: SdpMedia,
    mediaIndex: number,
    address: string,
    time: number,
    early: boolean,
    source: 'offer' | 'answer',
  ): EndpointRecord {
    const codecMap = new Map<number, CodecMapping>();
    const describe = (pt: number): void => {
      const mapped = media.rtpmap.get(pt);
      const fixed = staticPayloadTypes.get(pt);
      const fmtp = media.fmtp.get(pt);
      if (mapped) codecMap.set(pt, { encoding: mapped.encoding, clockRate: mapped.clockRate, channels: mapped.channels ?? 1, ...(fmtp !== undefined ? { fmtp } : {}) });
      else if (fixed) codecMap.set(pt, { encoding: fixed.encoding, clockRate: fixed.clockRate, channels: fixed.channels ?? 1, ...(fmtp !== undefined ? { fmtp } : {}) });
    };
    for (const pt of media.formats) describe(pt);
    // Sloppy SDP maps payload types it does not list; keep them as well.
    for (const pt of media.rtpmap.keys()) if (!codecMap.has(pt)) describe(pt);
    const rtcp = media.rtcpMux ? { address, port: media.port } : media.rtcp ? { address: media.rtcp.address ?? address, port: media.rtcp.port } : { address, port: media.port + 1 };
    return {
      callId,
      role,
      tag,
      address: canonicalAddress(address),
      port: media.port,
      mediaIndex,
      protocol: media.protocol,
      codecMap,
      formats: media.formats,
      ...(media.ptime !== undefined ? { ptime: media.ptime } : {}),
      direction: media.direction,
      rtcp: { address: canonicalAddress(rtcp.address), port: rtcp.port },
      since: time,
      early,
      source,
    };
  }

  private indexEndpoint(endpoint: EndpointRecord, media: SdpMedia): void {
    const key = endpointKey(endpoint.address, endpoint.port);
    const list = this.index.get(key);
    if (list) list.push(endpoint);
    else this.index.set(key, [endpoint]);
    if (!media.rtcpMux) this.rtcpIndex.add(endpointKey(endpoint.rtcp.address, endpoint.rtcp.port));
  }

  /** Roll back an offer whose transaction failed: its endpoints never applied, the ones it replaced still do. */
  private undo(change: { added: EndpointRecord[]; closed: EndpointRecord[] }): void {
    for (const endpoint of change.added) {
      const key = endpointKey(endpoint.address, endpoint.port);
      const list = this.index.get(key);
      if (list) {
        const kept = list.filter((e) => e !== endpoint);
        if (kept.length > 0) this.index.set(key, kept);
        else this.index.delete(key);
      }
      const call = this.records.get(endpoint.callId);
      if (call) {
        call.media = call.media.filter((e) => e !== endpoint);
        call.open.delete(endpoint);
      }
    }
    for (const endpoint of change.closed) {
      delete endpoint.until;
      this.records.get(endpoint.callId)?.open.add(endpoint);
    }
  }

  private close(call: CallRecord, endpoint: EndpointRecord, time: number): void {
    endpoint.until = time;
    call.open.delete(endpoint);
  }

  private closeAll(call: CallRecord, time: number): void {
    for (const endpoint of call.open) endpoint.until = time;
    call.open.clear();
    call.pending.clear();
  }

  private find(address: string, port: number, time: number | undefined): EndpointRecord | undefined {
    const list = this.index.get(endpointKey(address, port));
    if (!list || list.length === 0) return undefined;
    if (time === undefined) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.until === undefined) return list[i];
      return list[list.length - 1];
    }
    // Entries are in capture order, so `since` never decreases: walking back, the first one in force is the latest.
    let earliestAhead: EndpointRecord | undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const endpoint = list[i]!;
      if (endpoint.until !== undefined && time > endpoint.until + this.grace) continue;
      if (endpoint.since <= time + this.lead) return endpoint;
      earliestAhead = endpoint;
    }
    // Media captured well before any announcement of its endpoint (e.g. clock steps between taps) still belongs to it.
    return earliestAhead;
  }

  private snapshot(record: CallRecord): SipCall {
    const { pending: _pending, lastSdp: _lastSdp, callerTag: _callerTag, initialCseq: _initialCseq, open: _open, media, infoDigits, ...rest } = record;
    return {
      ...rest,
      media: media.map(({ tag: _tag, ...endpoint }) => endpoint),
      infoDigits: [...infoDigits],
    };
  }
}
