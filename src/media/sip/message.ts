// SIP messages over UDP (RFC 3261 §7, §18.3, §20, §25): start line, headers, body.

/** A From/To/Contact-style header: display name and URI parts. */
export interface NameAddr {
  readonly displayName?: string;
  /** User part of the URI (the number for telephony), percent-decoded, without parameters or password. */
  readonly user?: string;
  readonly host?: string;
  readonly port?: number;
  /** The tag header parameter (dialog identification, RFC 3261 §19.3). */
  readonly tag?: string;
  /** The URI as written. */
  readonly uri?: string;
}

interface SipCommon {
  readonly callId?: string;
  readonly from?: NameAddr;
  readonly to?: NameAddr;
  readonly cseq?: number;
  /** Method named in CSeq, upper case: for a response, the method it answers. */
  readonly cseqMethod?: string;
  /** Header name (lower case, compact forms expanded) → values in order of appearance. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The body as text (UTF-8), cut to Content-Length; absent when empty. */
  readonly body?: string;
  /** The body's octets (a view into the datagram). */
  readonly bodyBytes?: Uint8Array;
  /** Content-Length promised more octets than the datagram holds (the body is what there was). */
  readonly truncated?: boolean;
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

/** Compact header forms: RFC 3261 §7.3.3 and the extensions that register one (IANA SIP parameters). */
const COMPACT: ReadonlyMap<string, string> = new Map([
  ['a', 'accept-contact'], // RFC 3841
  ['b', 'referred-by'], // RFC 3892
  ['c', 'content-type'],
  ['d', 'request-disposition'], // RFC 3841
  ['e', 'content-encoding'],
  ['f', 'from'],
  ['i', 'call-id'],
  ['j', 'reject-contact'], // RFC 3841
  ['k', 'supported'],
  ['l', 'content-length'],
  ['m', 'contact'],
  ['n', 'identity-info'], // RFC 4474
  ['o', 'event'], // RFC 6665
  ['r', 'refer-to'], // RFC 3515
  ['s', 'subject'],
  ['t', 'to'],
  ['u', 'allow-events'], // RFC 6665
  ['v', 'via'],
  ['x', 'session-expires'], // RFC 4028
  ['y', 'identity'], // RFC 8224
]);

/** The full lower-case name of a header, compact forms expanded. */
export function canonicalHeaderName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT.get(lower) ?? lower;
}

/** All values of a header (any spelling or compact form); empty when absent. */
export function headerValues(message: SipMessage, name: string): readonly string[] {
  return message.headers.get(canonicalHeaderName(name)) ?? [];
}

/** The first value of a header, undefined when absent. */
export function headerValue(message: SipMessage, name: string): string | undefined {
  return headerValues(message, name)[0];
}

/** Largest datagram read as SIP: a UDP payload cannot be longer. */
const MAX_SIP_BYTES = 65535;
/** A start line longer than this is not SIP (RFC 3261 sets no limit; real ones are short). */
const MAX_START_LINE = 2048;
const textDecoder = new TextDecoder('utf-8', { fatal: false });

const REQUEST_LINE = /^([A-Za-z][A-Za-z0-9.!%*_+`'~-]*) +(\S+) +SIP\/2\.0 *$/;
const STATUS_LINE = /^SIP\/2\.0 +([1-6]\d\d)(?: +(.*))?$/;

function unquote(text: string): string {
  // quoted-string (RFC 3261 §25.1): backslash escapes the next character.
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

function decodePercent(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Index of the closing quote of a quoted string starting at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/**
 * Parse a name-addr or addr-spec header value (RFC 3261 §20.10, §20.20, §20.39):
 * `"Display" <sip:user@host:port;uri-params>;tag=x`, `Display <tel:+49…>`, or a
 * bare `sip:user@host;tag=x` (whose parameters then belong to the header).
 */
export function parseNameAddr(value: string): NameAddr {
  let rest = value.trim();
  let displayName: string | undefined;
  if (rest.startsWith('"')) {
    const close = closingQuote(rest, 0);
    if (close > 0) {
      displayName = unquote(rest.slice(0, close + 1)).trim();
      rest = rest.slice(close + 1).trim();
    } else rest = rest.slice(1);
  }
  let uri: string;
  let params: string;
  const lt = rest.indexOf('<');
  if (lt >= 0) {
    const gt = rest.indexOf('>', lt);
    if (displayName === undefined) {
      const name = rest.slice(0, lt).trim();
      if (name) displayName = name;
    }
    uri = rest.slice(lt + 1, gt >= 0 ? gt : undefined).trim();
    params = gt >= 0 ? rest.slice(gt + 1) : '';
  } else {
    const semi = rest.indexOf(';');
    uri = (semi >= 0 ? rest.slice(0, semi) : rest).trim();
    params = semi >= 0 ? rest.slice(semi) : '';
  }
  // Built by assignment rather than spreads: this runs twice per SIP message.
  const result: { -readonly [K in keyof NameAddr]: NameAddr[K] } = {};
  if (displayName) result.displayName = displayName;
  parseUriInto(uri, result);
  const tag = params.length > 0 ? /;\s*tag\s*=\s*([^;\s,]+)/i.exec(params)?.[1] : undefined;
  if (tag) result.tag = tag;
  if (uri) result.uri = uri;
  return result;
}

/** User, host and port of a sip:, sips: or tel: URI. */
export function parseUri(uri: string): { user?: string; host?: string; port?: number } {
  const parts: { user?: string; host?: string; port?: number } = {};
  parseUriInto(uri, parts);
  return parts;
}

function parseUriInto(uri: string, out: { user?: string; host?: string; port?: number }): void {
  const scheme = /^(sips?|tel):/i.exec(uri);
  if (!scheme) return;
  const body = uri.slice(scheme[0].length).split('?')[0]!;
  if (scheme[1]!.toLowerCase() === 'tel') {
    const number = body.split(';')[0]!.trim();
    if (number) out.user = decodePercent(number);
    return;
  }
  // The user part may itself hold ';' (user parameters such as phone-context), so split at the last '@' first.
  const at = body.lastIndexOf('@');
  let user: string | undefined;
  let hostPort = body;
  if (at >= 0) {
    user = decodePercent(body.slice(0, at).split(':')[0]!.split(';')[0]!);
    hostPort = body.slice(at + 1);
  }
  hostPort = hostPort.split(';')[0]!;
  let host = hostPort;
  let port: number | undefined;
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(hostPort);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon >= 0 && /^\d+$/.test(hostPort.slice(colon + 1))) {
      port = Number(hostPort.slice(colon + 1));
      host = hostPort.slice(0, colon);
    }
  }
  if (user) out.user = user;
  if (host) out.host = host;
  if (port !== undefined && port <= 65535) out.port = port;
}

/** Where the header section ends: [index of the blank line, index of the body]. */
function findHeaderEnd(payload: Uint8Array, from: number): [number, number] | undefined {
  for (let i = from; i < payload.length; i++) {
    if (payload[i] !== 10) continue;
    const next = payload[i + 1];
    if (next === 10) return [i, i + 2];
    if (next === 13 && payload[i + 2] === 10) return [i, i + 3];
  }
  return undefined;
}

/**
 * Parse a SIP message carried in one UDP datagram; null when it is not SIP
 * (the start line is neither a request line nor a status line). Tolerant of
 * junk: header lines without a colon are skipped, folded lines are joined,
 * a missing Content-Length means the rest of the datagram (RFC 3261 §18.3),
 * and a Content-Length past the end keeps what arrived (flagged truncated).
 * Never throws.
 */
export function parseSip(payload: Uint8Array): SipMessage | null {
  if (payload.length > MAX_SIP_BYTES) return null;
  let start = 0;
  // Keep-alive CRLFs (RFC 5626 §3.5.1) may precede a message.
  while (start < payload.length && (payload[start] === 13 || payload[start] === 10)) start++;
  if (payload.length - start < 12) return null;
  const first = payload[start]!;
  // A request starts with a method token, a response with "SIP/2.0": both letters.
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) return null;
  let lineEnd = start;
  const lineLimit = Math.min(payload.length, start + MAX_START_LINE);
  while (lineEnd < lineLimit && payload[lineEnd] !== 10) lineEnd++;
  const startLine = textDecoder.decode(payload.subarray(start, lineEnd)).replace(/\r$/, '');
  const response = STATUS_LINE.exec(startLine);
  const request = response ? null : REQUEST_LINE.exec(startLine);
  if (!response && !request) return null;

  const ends = findHeaderEnd(payload, lineEnd);
  const headEnd = ends ? ends[0] : payload.length;
  const bodyStart = ends ? ends[1] : payload.length;
  const headers = new Map<string, string[]>();
  const head = lineEnd < headEnd ? textDecoder.decode(payload.subarray(lineEnd + 1, headEnd)) : '';
  let last: string[] | undefined;
  for (const raw of head.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      // Folded continuation (RFC 3261 §7.3.1): joined with a single space.
      last[last.length - 1] = `${last[last.length - 1]} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const name = canonicalHeaderName(line.slice(0, colon));
    if (!/^[a-z0-9.!%*_+`'~-]+$/.test(name)) {
      last = undefined;
      continue;
    }
    const values = headers.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
    last = values;
  }
  const firstValue = (name: string): string | undefined => headers.get(name)?.[0];

  let bodyEnd = payload.length;
  let truncated = false;
  const lengthText = firstValue('content-length');
  if (lengthText !== undefined && /^\d{1,9}$/.test(lengthText)) {
    const declared = Number(lengthText);
    if (bodyStart + declared <= payload.length) bodyEnd = bodyStart + declared;
    else truncated = true;
  }
  const bodyBytes = payload.subarray(bodyStart, Math.max(bodyStart, bodyEnd));
  const cseqMatch = /^(\d{1,10})\s+([A-Za-z][A-Za-z0-9.!%*_+`'~-]*)/.exec(firstValue('cseq') ?? '');
  const callId = firstValue('call-id');
  const from = firstValue('from');
  const to = firstValue('to');
  // Built by assignment rather than spreads (measurably faster); absent fields stay absent.
  const message: Record<string, unknown> = response
    ? { kind: 'response', status: Number(response[1]), reason: (response[2] ?? '').trim() }
    : { kind: 'request', method: request![1]!.toUpperCase(), uri: request![2]! };
  if (callId) message.callId = callId;
  if (from !== undefined) message.from = parseNameAddr(from);
  if (to !== undefined) message.to = parseNameAddr(to);
  if (cseqMatch) {
    message.cseq = Number(cseqMatch[1]);
    message.cseqMethod = cseqMatch[2]!.toUpperCase();
  }
  message.headers = headers;
  if (bodyBytes.length > 0) {
    message.body = textDecoder.decode(bodyBytes);
    message.bodyBytes = bodyBytes;
  }
  if (truncated) message.truncated = true;
  return message as unknown as SipMessage;
}

/** The MIME type of a Content-Type value, lower case, without parameters. */
function mimeType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

/**
 * The SDP carried by a message: the body when it is application/sdp (or has
 * no Content-Type but looks like SDP), or the application/sdp part of a
 * multipart body (RFC 5621; SIP-I/SIP-T gateways pair SDP with ISUP this way).
 */
export function sdpBodyOf(message: SipMessage): string | undefined {
  const body = message.body;
  if (!body) return undefined;
  const contentType = headerValue(message, 'content-type');
  if (!contentType) return /^\s*v=0/.test(body) ? body : undefined;
  const type = mimeType(contentType);
  if (type === 'application/sdp') return body;
  if (!type.startsWith('multipart/')) return undefined;
  const boundary = /;\s*boundary\s*=\s*("([^"]*)"|[^;\s]+)/i.exec(contentType);
  if (!boundary) return undefined;
  const marker = `--${boundary[2] ?? boundary[1]!}`;
  for (const part of body.split(marker).slice(1)) {
    if (part.startsWith('--')) break; // closing delimiter
    const split = /\r?\n\r?\n/.exec(part);
    if (!split) continue;
    const partHeaders = part.slice(0, split.index);
    const partType = /^content-type\s*:\s*([^\r\n]*)/im.exec(partHeaders)?.[1];
    if (partType && mimeType(partType) === 'application/sdp') return part.slice(split.index + split[0].length).replace(/\r?\n$/, '');
  }
  return undefined;
}
