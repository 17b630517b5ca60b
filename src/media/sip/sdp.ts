// SDP (RFC 8866, formerly RFC 4566): what a recorder needs from offer and answer (RFC 3264).

/** a=rtpmap: encoding name, RTP clock rate and (audio) channels. */
export interface SdpRtpMap {
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels?: number;
}

/** Media direction attribute (RFC 8866 §6.7); sendrecv when none is given. */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** A c= line: network address (multicast TTL and count dropped). */
export interface SdpConnection {
  readonly addressType: 'IP4' | 'IP6';
  readonly address: string;
}

/** a=rtcp (RFC 3605): where RTCP goes when not on port + 1. */
export interface SdpRtcp {
  readonly port: number;
  readonly address?: string;
}

/** One m= section. */
export interface SdpMedia {
  /** audio, video, image, application… */
  readonly type: string;
  /** 0 means the stream is rejected or disabled (RFC 3264 §6). */
  readonly port: number;
  /** Number of ports from "port/count" (1 when absent). */
  readonly portCount: number;
  /** RTP/AVP, RTP/SAVP, udptl… */
  readonly protocol: string;
  /** Payload type numbers in order of preference (numeric formats only). */
  readonly formats: number[];
  /** The format list as written (non-RTP protocols use names, e.g. t38). */
  readonly formatNames: string[];
  /** The media section's own c= address; absent when it inherits the session's. */
  readonly connectionAddress?: string;
  readonly connection?: SdpConnection;
  readonly rtpmap: Map<number, SdpRtpMap>;
  /** a=fmtp parameters as written, e.g. "annexb=no" or "0-15". */
  readonly fmtp: Map<number, string>;
  /** a=ptime in milliseconds. */
  readonly ptime?: number;
  readonly maxptime?: number;
  /** Effective direction: the media's own attribute, else the session's, else sendrecv. */
  readonly direction: SdpDirection;
  readonly rtcp?: SdpRtcp;
  /** a=rtcp-mux (RFC 5761): RTCP shares the RTP port. */
  readonly rtcpMux: boolean;
}

/** o= line. */
export interface SdpOrigin {
  readonly username: string;
  readonly sessionId: string;
  /** Increases whenever the session description changes (RFC 3264 §8). */
  readonly sessionVersion: string;
  readonly addressType: string;
  readonly address: string;
}

export interface SdpSession {
  readonly origin?: SdpOrigin;
  readonly sessionName?: string;
  /** Session-level c= address (media may override it). */
  readonly connectionAddress?: string;
  readonly connection?: SdpConnection;
  /** Session-level direction attribute, when given. */
  readonly direction?: SdpDirection;
  readonly media: SdpMedia[];
}

/** Largest SDP text read: bodies past this are not a phone's SDP. */
const MAX_SDP_CHARS = 65535;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MediaDraft = Omit<Mutable<SdpMedia>, 'direction'> & { direction?: SdpDirection };

const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function parseConnection(value: string): SdpConnection | undefined {
  const m = /^IN\s+(IP4|IP6)\s+([^/\s]+)/i.exec(value);
  if (!m) return undefined;
  return { addressType: m[1]!.toUpperCase() as 'IP4' | 'IP6', address: m[2]! };
}

function parseMediaLine(value: string): MediaDraft | undefined {
  const m = /^(\S+)\s+(\d{1,5})(?:\/(\d{1,5}))?\s+(\S+)\s*(.*)$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  const formatNames = m[5]!.split(/\s+/).filter((f) => f.length > 0);
  return {
    type: m[1]!.toLowerCase(),
    port,
    portCount: m[3] ? Math.max(1, Number(m[3])) : 1,
    protocol: m[4]!,
    formats: formatNames.filter((f) => /^\d{1,3}$/.test(f) && Number(f) <= 127).map(Number),
    formatNames,
    rtpmap: new Map(),
    fmtp: new Map(),
    rtcpMux: false,
  };
}

function parseAttribute(value: string, media: MediaDraft): void {
  const colon = value.indexOf(':');
  const name = (colon >= 0 ? value.slice(0, colon) : value).trim().toLowerCase();
  const argument = colon >= 0 ? value.slice(colon + 1).trim() : '';
  switch (name) {
    case 'rtpmap': {
      const m = /^(\d{1,3})\s+([^/\s]+)\/(\d{1,9})(?:\/(\d{1,3}))?/.exec(argument);
      if (!m || Number(m[1]) > 127) return;
      media.rtpmap.set(Number(m[1]), { encoding: m[2]!, clockRate: Number(m[3]), ...(m[4] ? { channels: Number(m[4]) } : {}) });
      return;
    }
    case 'fmtp': {
      const m = /^(\d{1,3})\s+(.*)$/.exec(argument);
      if (m && Number(m[1]) <= 127) media.fmtp.set(Number(m[1]), m[2]!.trim());
      return;
    }
    case 'ptime':
    case 'maxptime': {
      const m = /^(\d{1,6}(?:\.\d+)?)$/.exec(argument);
      if (m) media[name] = Number(m[1]);
      return;
    }
    case 'rtcp': {
      const m = /^(\d{1,5})(?:\s+IN\s+IP[46]\s+(\S+))?/i.exec(argument);
      if (m && Number(m[1]) <= 65535) media.rtcp = { port: Number(m[1]), ...(m[2] ? { address: m[2] } : {}) };
      return;
    }
    case 'rtcp-mux':
      media.rtcpMux = true;
      return;
    default:
      if (DIRECTIONS.has(name) && colon < 0) media.direction = name as SdpDirection;
  }
}

/**
 * Parse an SDP body; undefined when it is not SDP (no v= line). Lines it does
 * not know, and malformed ones, are skipped; it never throws. Session-level
 * c= and direction are kept on the session and applied to media that lack
 * their own (`direction`); `connectionAddress` of a media section is its own.
 */
export function parseSdp(text: string): SdpSession | undefined {
  if (text.length > MAX_SDP_CHARS || !/^\s*v=/.test(text)) return undefined;
  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let sessionConnection: SdpConnection | undefined;
  let sessionDirection: SdpDirection | undefined;
  const media: MediaDraft[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2).trim();
    const current = media[media.length - 1];
    switch (line[0]) {
      case 'o': {
        const f = value.split(/\s+/);
        if (f.length >= 6) origin = { username: f[0]!, sessionId: f[1]!, sessionVersion: f[2]!, addressType: f[4]!, address: f[5]! };
        break;
      }
      case 's':
        if (!current) sessionName = value;
        break;
      case 'c': {
        const connection = parseConnection(value);
        if (!connection) break;
        if (current) {
          current.connection = connection;
          current.connectionAddress = connection.address;
        } else sessionConnection = connection;
        break;
      }
      case 'm': {
        const parsed = parseMediaLine(value);
        // A malformed m= line still opens a section, so its attributes do not land on the previous one.
        media.push(parsed ?? { type: '', port: 0, portCount: 1, protocol: '', formats: [], formatNames: [], rtpmap: new Map(), fmtp: new Map(), rtcpMux: false });
        break;
      }
      case 'a': {
        if (current) parseAttribute(value, current);
        else if (DIRECTIONS.has(value.toLowerCase())) sessionDirection = value.toLowerCase() as SdpDirection;
        break;
      }
      default:
        break;
    }
  }
  return {
    ...(origin ? { origin } : {}),
    ...(sessionName !== undefined ? { sessionName } : {}),
    ...(sessionConnection ? { connectionAddress: sessionConnection.address, connection: sessionConnection } : {}),
    ...(sessionDirection ? { direction: sessionDirection } : {}),
    media: media.filter((m) => m.type !== '').map((m) => ({ ...m, direction: m.direction ?? sessionDirection ?? 'sendrecv' })),
  };
}

/** The address a media section's RTP goes to: its own c= line, else the session's. */
export function mediaAddress(session: SdpSession, media: SdpMedia): string | undefined {
  return media.connectionAddress ?? session.connectionAddress;
}

/** Split fmtp parameters ("annexb=no;mode=30" or "0-15") into name → value (a bare value gets the name ""). */
export function fmtpParameters(fmtp: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq < 0) out.set('', item);
    else out.set(item.slice(0, eq).trim().toLowerCase(), item.slice(eq + 1).trim());
  }
  return out;
}
