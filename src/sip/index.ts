// SIP (RFC 3261) and SDP (RFC 4566) parsing: just what the recorder reads from a capture — dialog ids,
// parties, and the media endpoints and payload types that offer and answer announce.

/** A From/To header: display name and URI user part (the number). */
export interface NameAddr {
  readonly displayName?: string;
  readonly user?: string;
  readonly host?: string;
  readonly tag?: string;
}

interface SipCommon {
  readonly callId?: string;
  readonly from?: NameAddr;
  readonly to?: NameAddr;
  readonly cseq?: number;
  readonly cseqMethod?: string;
  /** Header name (lower case, compact forms expanded) → values in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body?: string;
}

export interface SipRequest extends SipCommon {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
}

export interface SipResponse extends SipCommon {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 compact header forms. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  m: 'contact',
  c: 'content-type',
  l: 'content-length',
  v: 'via',
  e: 'content-encoding',
  k: 'supported',
  s: 'subject',
};

const MAX_SIP_BYTES = 65535;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Parse "Display" <sip:user@host;…>;tag=x (or a bare URI). */
export function parseNameAddr(value: string): NameAddr {
  let displayName: string | undefined;
  let uri = value.trim();
  let params = '';
  const lt = uri.indexOf('<');
  if (lt >= 0) {
    const gt = uri.indexOf('>', lt);
    const name = uri.slice(0, lt).trim().replace(/^"(.*)"$/, '$1').trim();
    if (name) displayName = name;
    params = gt >= 0 ? uri.slice(gt + 1) : '';
    uri = uri.slice(lt + 1, gt >= 0 ? gt : undefined);
  } else {
    const semi = uri.indexOf(';');
    if (semi >= 0) {
      params = uri.slice(semi);
      uri = uri.slice(0, semi);
    }
  }
  const scheme = /^(sips?|tel):/i.exec(uri);
  let rest = scheme ? uri.slice(scheme[0].length) : uri;
  rest = rest.split(';')[0]!.split('?')[0]!;
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : scheme && scheme[1]!.toLowerCase() === 'tel' ? rest : undefined;
  const host = at >= 0 ? rest.slice(at + 1) : scheme && scheme[1]!.toLowerCase() !== 'tel' ? rest : undefined;
  const tag = /;\s*tag=([^;\s]+)/i.exec(params)?.[1];
  return {
    ...(displayName ? { displayName } : {}),
    ...(user ? { user: decodeURIComponentSafe(user.split(':')[0]!) } : {}),
    ...(host ? { host } : {}),
    ...(tag ? { tag } : {}),
  };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Parse a SIP message from a UDP payload; null when it is not SIP. Tolerates junk: never throws. */
export function parseSip(payload: Uint8Array): SipMessage | null {
  if (payload.length < 12 || payload.length > MAX_SIP_BYTES) return null;
  const text = textDecoder.decode(payload);
  const headerEnd = text.search(/\r?\n\r?\n/);
  const head = headerEnd >= 0 ? text.slice(0, headerEnd) : text;
  const bodyStart = headerEnd >= 0 ? headerEnd + (/^\r?\n\r?\n/.exec(text.slice(headerEnd))?.[0].length ?? 2) : text.length;
  const lines = head.split(/\r?\n/);
  const start = lines[0] ?? '';
  let kind: 'request' | 'response';
  let method = '';
  let uri = '';
  let status = 0;
  let reason = '';
  const response = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(start);
  const request = /^([A-Z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(start);
  if (response) {
    kind = 'response';
    status = Number(response[1]);
    reason = response[2]!;
  } else if (request) {
    kind = 'request';
    method = request[1]!;
    uri = request[2]!;
  } else return null;

  const headers = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && last) {
      // Folded continuation of the previous header.
      const values = headers.get(last)!;
      values[values.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    const value = line.slice(colon + 1).trim();
    const values = headers.get(name) ?? [];
    values.push(value);
    headers.set(name, values);
    last = name;
  }
  const first = (name: string): string | undefined => headers.get(name)?.[0];
  const cseqMatch = /^(\d+)\s+([A-Za-z]+)/.exec(first('cseq') ?? '');
  let body = text.slice(bodyStart);
  const declared = Number(first('content-length'));
  if (Number.isInteger(declared) && declared >= 0) {
    // Content-Length counts bytes; cut on the byte length of the body.
    const bytes = new TextEncoder().encode(body);
    if (declared < bytes.length) body = textDecoder.decode(bytes.subarray(0, declared));
  }
  const common = {
    ...(first('call-id') ? { callId: first('call-id')! } : {}),
    ...(first('from') ? { from: parseNameAddr(first('from')!) } : {}),
    ...(first('to') ? { to: parseNameAddr(first('to')!) } : {}),
    ...(cseqMatch ? { cseq: Number(cseqMatch[1]), cseqMethod: cseqMatch[2]!.toUpperCase() } : {}),
    headers,
    ...(body.length > 0 ? { body } : {}),
  };
  return kind === 'request' ? { kind, method, uri, ...common } : { kind, status, reason, ...common };
}

export interface SdpRtpMap {
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels?: number;
}

export interface SdpMedia {
  readonly type: string;
  readonly port: number;
  readonly protocol: string;
  readonly formats: number[];
  readonly connectionAddress?: string;
  readonly rtpmap: Map<number, SdpRtpMap>;
  readonly fmtp: Map<number, string>;
  readonly ptime?: number;
  readonly direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

export interface SdpSession {
  readonly connectionAddress?: string;
  readonly media: SdpMedia[];
}

/** Parse an SDP body; undefined when it is not SDP. Tolerates junk: never throws. */
export function parseSdp(text: string): SdpSession | undefined {
  if (!/^v=0/m.test(text)) return undefined;
  let sessionAddress: string | undefined;
  const media: Array<{
    type: string;
    port: number;
    protocol: string;
    formats: number[];
    connectionAddress?: string;
    rtpmap: Map<number, SdpRtpMap>;
    fmtp: Map<number, string>;
    ptime?: number;
    direction: SdpMedia['direction'];
  }> = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2);
    const current = media[media.length - 1];
    switch (line[0]) {
      case 'c': {
        const m = /^IN\s+IP[46]\s+([^/\s]+)/.exec(value);
        if (!m) break;
        if (current) current.connectionAddress = m[1]!;
        else sessionAddress = m[1]!;
        break;
      }
      case 'm': {
        const m = /^(\S+)\s+(\d+)(?:\/\d+)?\s+(\S+)\s*(.*)$/.exec(value);
        if (!m) break;
        const port = Number(m[2]);
        if (port > 65535) break;
        media.push({
          type: m[1]!,
          port,
          protocol: m[3]!,
          formats: m[4]!.split(/\s+/).filter((f) => /^\d+$/.test(f)).map(Number),
          rtpmap: new Map(),
          fmtp: new Map(),
          direction: 'sendrecv',
        });
        break;
      }
      case 'a': {
        if (!current) break;
        const rtpmap = /^rtpmap:(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(value);
        if (rtpmap) {
          current.rtpmap.set(Number(rtpmap[1]), { encoding: rtpmap[2]!, clockRate: Number(rtpmap[3]), ...(rtpmap[4] ? { channels: Number(rtpmap[4]) } : {}) });
          break;
        }
        const fmtp = /^fmtp:(\d+)\s+(.*)$/.exec(value);
        if (fmtp) {
          current.fmtp.set(Number(fmtp[1]), fmtp[2]!);
          break;
        }
        const ptime = /^ptime:(\d+(?:\.\d+)?)/.exec(value);
        if (ptime) current.ptime = Number(ptime[1]);
        else if (value === 'sendrecv' || value === 'sendonly' || value === 'recvonly' || value === 'inactive') current.direction = value;
        break;
      }
      default:
        break;
    }
  }
  return { ...(sessionAddress ? { connectionAddress: sessionAddress } : {}), media };
}
