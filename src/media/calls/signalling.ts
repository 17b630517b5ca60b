import type { TcpSegment, UdpDatagram } from '../pcap/index.js';

/** A party of a call as signalling names it. */
export interface PartyInfo {
  /** The number (SIP user part), when known. */
  readonly number?: string;
  /** The display name, when known. */
  readonly name?: string;
}

/** What signalling says about the media sent from one endpoint. */
export interface MediaOwner {
  readonly callId: string;
  /** The party that sends from this endpoint, and its role in the call. */
  readonly party: PartyInfo;
  readonly role: 'caller' | 'callee';
  /** The other party of the call. */
  readonly peer: PartyInfo;
}

export interface PayloadMapping {
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels?: number;
}

/**
 * What the capture's own signalling (SIP/SDP) tells the demuxer. The capture
 * may hold none (a gateway's recording is media only); then every answer is
 * undefined and the demuxer works from RTP alone.
 */
export interface SignallingDirectory {
  /** Take a datagram that is signalling; false when it is not (then it may be media). */
  offer(datagram: UdpDatagram): boolean;
  /** Take a TCP segment that may carry signalling (SIP over TCP), when the directory reads TCP. */
  offerTcp?(segment: TcpSegment): void;
  /** True when SDP announced media between these endpoints (either end). */
  describes(src: string, srcPort: number, dst: string, dstPort: number, time: number): boolean;
  /** The rtpmap for a payload type on this flow, per the SDP of either end. */
  payloadType(src: string, srcPort: number, dst: string, dstPort: number, payloadType: number, time: number): PayloadMapping | undefined;
  /** Who sends media from this endpoint, per SDP. */
  mediaOwner(address: string, port: number, time: number): MediaOwner | undefined;
}
