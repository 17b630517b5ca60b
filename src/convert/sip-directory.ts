import type { UdpDatagram } from '../pcap/index.js';
import type { MediaOwner, PartyInfo, PayloadMapping, SignallingDirectory } from '../calls/index.js';
import { parseSip, parseSdp } from '../sip/index.js';
import type { SdpSession, SipMessage } from '../sip/index.js';

interface MediaEndpoint {
  readonly callId: string;
  readonly role: 'caller' | 'callee';
  readonly payloadTypes: Map<number, PayloadMapping>;
  readonly since: number;
}

interface Dialog {
  caller: PartyInfo;
  callee: PartyInfo;
}

function endpointKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/** Party from a From/To header: display name and the user part of the URI (the number). */
function partyOf(header: { displayName?: string; user?: string } | undefined): PartyInfo {
  if (!header) return {};
  return { ...(header.user ? { number: header.user } : {}), ...(header.displayName ? { name: header.displayName } : {}) };
}

/**
 * Follows the SIP dialogs in a capture and remembers, for each media endpoint
 * announced in SDP, which call and party it belongs to and its payload type
 * map. An offer (INVITE, or a 200 answering an offer-less INVITE) names the
 * caller's media, an answer the callee's; a re-INVITE moving the media adds
 * the new endpoint (the latest announcement wins for later packets).
 */
export class SipSignallingDirectory implements SignallingDirectory {
  private readonly endpoints = new Map<string, MediaEndpoint[]>();
  private readonly dialogs = new Map<string, Dialog>();
  messages = 0;

  offer(datagram: UdpDatagram): boolean {
    const payload = datagram.payload;
    // Cheap test before parsing: SIP starts with a method name or "SIP/2.0".
    if (payload.length < 16 || payload[0]! < 0x41 || payload[0]! > 0x5a) return false;
    const message = parseSip(payload);
    if (!message) return false;
    this.messages++;
    this.take(message, datagram);
    return true;
  }

  describes(src: string, srcPort: number, dst: string, dstPort: number, time: number): boolean {
    return this.lookup(src, srcPort, time) !== undefined || this.lookup(dst, dstPort, time) !== undefined;
  }

  payloadType(src: string, srcPort: number, dst: string, dstPort: number, payloadType: number, time: number): PayloadMapping | undefined {
    // Payload type numbers on the wire are those the receiver announced; the sender's own map is the fallback.
    return this.lookup(dst, dstPort, time)?.payloadTypes.get(payloadType) ?? this.lookup(src, srcPort, time)?.payloadTypes.get(payloadType);
  }

  mediaOwner(address: string, port: number, time: number): MediaOwner | undefined {
    const endpoint = this.lookup(address, port, time);
    if (!endpoint) return undefined;
    const dialog = this.dialogs.get(endpoint.callId);
    if (!dialog) return undefined;
    const party = endpoint.role === 'caller' ? dialog.caller : dialog.callee;
    const peer = endpoint.role === 'caller' ? dialog.callee : dialog.caller;
    return { callId: endpoint.callId, party, peer, role: endpoint.role };
  }

  private lookup(address: string, port: number, time: number): MediaEndpoint | undefined {
    const list = this.endpoints.get(endpointKey(address, port));
    if (!list) return undefined;
    let best: MediaEndpoint | undefined;
    for (const entry of list) if (entry.since <= time + 1 && (!best || entry.since >= best.since)) best = entry;
    return best ?? list[0];
  }

  private take(message: SipMessage, datagram: UdpDatagram): void {
    const callId = message.callId;
    if (!callId) return;
    const method = message.kind === 'request' ? message.method : message.cseqMethod;
    if (method !== 'INVITE' && method !== 'UPDATE' && method !== 'ACK' && method !== 'PRACK') return;
    if (method === 'INVITE' && message.kind === 'request' && !this.dialogs.has(callId)) {
      this.dialogs.set(callId, { caller: partyOf(message.from), callee: partyOf(message.to) });
    } else if (!this.dialogs.has(callId)) {
      // Capture started mid-dialog: From/To of any message still name the parties (From = whoever sent the first one seen).
      this.dialogs.set(callId, { caller: partyOf(message.from), callee: partyOf(message.to) });
    }
    const sdp = message.body ? parseSdp(message.body) : undefined;
    if (!sdp) return;
    // Which side's media does this SDP describe? The sender of the message is that side.
    const dialog = this.dialogs.get(callId)!;
    // A request is sent by its From party; a response by its To party.
    const senderIsCaller = message.kind === 'request' ? sameParty(partyOf(message.from), dialog.caller) : !sameParty(partyOf(message.to), dialog.callee);
    this.remember(callId, senderIsCaller ? 'caller' : 'callee', sdp, datagram.time);
  }

  private remember(callId: string, role: 'caller' | 'callee', sdp: SdpSession, time: number): void {
    for (const media of sdp.media) {
      if (media.type !== 'audio' || media.port === 0) continue;
      const address = media.connectionAddress ?? sdp.connectionAddress;
      if (!address) continue;
      const payloadTypes = new Map<number, PayloadMapping>();
      for (const [pt, map] of media.rtpmap) payloadTypes.set(pt, map);
      const key = endpointKey(address, media.port);
      const list = this.endpoints.get(key) ?? [];
      list.push({ callId, role, payloadTypes, since: time });
      this.endpoints.set(key, list);
    }
  }
}

function sameParty(a: PartyInfo, b: PartyInfo): boolean {
  return a.number === b.number && a.name === b.name;
}

export function createSipDirectory(): SignallingDirectory {
  return new SipSignallingDirectory();
}
