/**
 * innovaphone PBX call detail records (CDR-XML), as a PBX sends them to its
 * CDR interfaces at the end of each call: the recorder's model of one call
 * leg, the documented XML form, a strict reader and a summary.
 *
 * CDR-XML after innovaphone's "Concept Call Detail Record CDR PBX"
 * (Reference10/11): one `<cdr>` per call and PBX object, with an `<event>`
 * per state change and a `<group>` per group membership:
 *   <cdr id guid sys pbx node device cn e164 h323 dir="from|to|cf|ct" utc local>
 *     <user/>
 *     <event msg="setup-from|setup-to|alert-from|alert-to|conn-from|conn-to|
 *                 transfer-from|transfer-to|info-from|rel-from|rel-to|…"
 *            time="the PBX's uptime, seconds" type="ext" e164 h323 dn
 *            conf="conference id (first event)" cause="Q.931 cause">
 *       <to e164 h323 dn type/>          (transfer: the party the call goes to)
 *     </event>
 *     <group name active type/>
 *   </cdr>
 * `-from` = the message came from the object (it placed the call, answered,
 * transferred, hung up); `-to` = it went to the object.
 *
 * The reference leaves some cases without an example; this module reads them
 * from documented elements only (and the embedded PBX writes them so):
 *  - a call forward: the forwarding object's CDR has dir="cf" and a
 *    `transfer-from` (with `<to>` = the forward target) before any connect;
 *    it rang first (an alert event before it) for CFNR, was busy (release
 *    cause 17) for CFB, neither for CFU;
 *  - a pickup: the PBX redirects the ringing call, so a `transfer-to` before
 *    any connect: `<to>` = another object (the call was picked away from
 *    this one) or this object itself (it picked the call up);
 *  - digits keyed during the call (TAN, TCR mark): `info-from` naming the
 *    number dialled so far (the VM object's number and the digits).
 * The model names these facts with its own event kinds (`cf-from`,
 * `pickup-to`, `pickup-from`, `dtmf-from`), which the rules read; they are
 * never written as such.
 * Times in the model are whole seconds since the CDR's `utc`; the XML's event
 * times are read relative to the first event (V10 PBXs write their uptime
 * there, older ones seconds since the call's start: both read the same).
 */
import { XmlSyntaxError, elementToXml, parseXml, xmlAttributes } from '../../platform/xml/index.js';
import type { XmlElement } from '../../platform/xml/index.js';


/** The event kinds of the model: the documented messages and the facts read from them (see above); parsed CDRs may carry others (`connected`, `lookup`, …). */
export const CDR_EVENT_MSGS = [
  'setup-from',
  'setup-to',
  'alert-from',
  'alert-to',
  'conn-from',
  'conn-to',
  'transfer-from',
  'transfer-to',
  'cf-from',
  'cf-to',
  'pickup-from',
  'pickup-to',
  'dtmf-from',
  'rel-from',
  'rel-to',
] as const;
export type KnownCdrEventMsg = (typeof CDR_EVENT_MSGS)[number];
/** A known message name, or any other string a real PBX sends. */
export type CdrEventMsg = KnownCdrEventMsg | (string & {});

export type CdrDir = 'from' | 'to' | 'cf' | 'ct';

/** The other party of an event, or a transfer/forward target (`<to>`). */
export interface CdrParty {
  readonly e164?: string;
  readonly h323?: string;
  readonly dn?: string;
  /** `type="ext"`: a party outside the PBX. */
  readonly external: boolean;
}

export interface CdrEvent {
  readonly msg: CdrEventMsg;
  /** Seconds since the CDR's `utc`. */
  readonly time: number;
  readonly party?: CdrParty;
  /** Conference id (always on the first event). */
  readonly conf?: string;
  /** Q.931 cause of a release. */
  readonly cause?: number;
  /** Transfer / forward / pickup target. */
  readonly to?: CdrParty;
  /** dtmf-from: the number dialled during the call (the VM object's number and the keyed digits). */
  readonly digits?: string;
  /** cf-from: which forwarding applied (read from the alert and the release cause). */
  readonly cf?: 'cfu' | 'cfb' | 'cfnr';
  /** transfer: after a consultation call (known to the embedded PBX; CDR-XML does not say). */
  readonly consult?: boolean;
}

export interface CdrGroup {
  readonly name: string;
  readonly active: boolean;
}

export interface Cdr {
  /** This CDR's own GUID (absent in older PBX versions). */
  readonly id?: string;
  /** GUID of the PBX object. */
  readonly guid: string;
  readonly sys?: string;
  readonly pbx: string;
  readonly node?: string;
  readonly device?: string;
  /** The object's long name. */
  readonly cn: string;
  /** The object's number. */
  readonly e164: string;
  /** The object's name (H.323 id). */
  readonly h323: string;
  readonly dir: CdrDir;
  /** Unix seconds (UTC) when this object's part of the call started. */
  readonly utc: number;
  /** The same moment in the PBX's local time, as Unix-style seconds. */
  readonly local: number;
  /** Conference id: the `conf` of the first event carrying one. */
  readonly conf: string;
  readonly groups: readonly CdrGroup[];
  readonly events: readonly CdrEvent[];
  /** The document this leg was read from, verbatim (a `<cdr>` or a Report XML `<record>`): kept with the recording. */
  readonly source?: string;
}

export class CdrParseError extends Error {
  override readonly name = 'CdrParseError';
  constructor(
    /** Where the XML came from (a URL, a file name). */
    readonly source: string,
    /** The element at fault, e.g. `cdr[2]/event[3]`, or `(document)`. */
    readonly element: string,
    readonly reason: string,
    /** The conference id of the CDR at fault, when it could be read. */
    readonly conf?: string,
  ) {
    super(`${source}: ${element}${conf ? ` (conference ${conf})` : ''}: ${reason}`);
  }
}

/** The `<cdr>` element's attributes in the order the PBX writes them. */
const CDR_ATTRIBUTE_ORDER = ['id', 'guid', 'sys', 'pbx', 'node', 'device', 'cn', 'e164', 'h323', 'dir', 'utc', 'local'] as const;

/**
 * Serialise one leg as the PBX sends it (no XML declaration; `indent`
 * prefixes every line). `uptime`: the PBX's uptime at the leg's `utc`, the
 * base of the event times.
 */
export function cdrToXml(cdr: Cdr, indent = '', uptime = 0): string {
  const lines: string[] = [];
  lines.push(
    `${indent}<cdr${xmlAttributes(CDR_ATTRIBUTE_ORDER.map((name) => [name, cdr[name]]))}>`,
  );
  lines.push(`${indent}  <user/>`);
  const self: CdrParty = { e164: cdr.e164, h323: cdr.h323, dn: cdr.cn, external: false };
  const forward = cdr.events.find((e) => e.msg === 'cf-from');
  for (const event of cdr.events) {
    let msg: string = event.msg;
    let party = event.party;
    let to = event.to;
    let cause = event.cause;
    if (event.msg === 'cf-from') msg = 'transfer-from';
    else if (event.msg === 'pickup-to') msg = 'transfer-to';
    else if (event.msg === 'pickup-from') {
      msg = 'transfer-to';
      to = self;
    } else if (event.msg === 'dtmf-from') {
      msg = 'info-from';
      party = { ...(event.party?.h323 !== undefined ? { h323: event.party.h323 } : {}), e164: event.digits ?? '', external: false };
    } else if (event.msg === 'cf-to') continue; // the forward target's leg is an ordinary incoming call
    if ((event.msg === 'rel-from' || event.msg === 'rel-to') && forward?.cf === 'cfb') cause = 17;
    const attrs = xmlAttributes([
      ['msg', msg],
      ['time', uptime + event.time],
      ...partyAttributes(party),
      ['conf', event.conf],
      ['cause', cause],
    ]);
    if (to) {
      lines.push(`${indent}  <event${attrs}>`);
      lines.push(`${indent}    <to${xmlAttributes(partyAttributes(to))}/>`);
      lines.push(`${indent}  </event>`);
    } else {
      lines.push(`${indent}  <event${attrs}/>`);
    }
  }
  for (const group of cdr.groups) lines.push(`${indent}  <group${xmlAttributes([['name', group.name], ['active', group.active ? 'true' : 'false']])}/>`);
  lines.push(`${indent}</cdr>`);
  return lines.join('\n');
}

/**
 * Read every CDR in `xml`: one `<cdr>` as a PBX posts it, or a file holding
 * several under one root element (e.g. `<cdrs>`). Throws CdrParseError
 * naming `source`, the element at fault and, when readable, the conference.
 */
export function parseCdrXml(xml: string, source: string): Cdr[] {
  const root = parseDocument(xml, source);
  if (root.name === 'cdr') return [readCdr(root, source, 'cdr')];
  const cdrs: Cdr[] = [];
  let index = 0;
  for (const child of root.children) {
    if (child.name !== 'cdr') continue;
    index++;
    cdrs.push(readCdr(child, source, `${root.name}/cdr[${index}]`));
  }
  if (index === 0 && root.children.length > 0) throw new CdrParseError(source, `<${root.name}>`, 'holds no <cdr> element');
  return cdrs;
}

/** Parse with XML syntax errors turned into CdrParseError. */
export function parseDocument(xml: string, source: string): XmlElement {
  if (xml.trim() === '') throw new CdrParseError(source, '(document)', 'empty document');
  try {
    return parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new CdrParseError(source, '(document)', `malformed XML: ${error.message}`);
    throw error;
  }
}

/** The leg's direction from the object's view: its first setup event says who placed the call. */
export function cdrDirection(cdr: Cdr): 'incoming' | 'outgoing' {
  const setup = cdr.events.find((e) => e.msg === 'setup-from' || e.msg === 'setup-to');
  if (setup) return setup.msg === 'setup-from' ? 'outgoing' : 'incoming';
  return cdr.dir === 'from' ? 'outgoing' : 'incoming';
}

/** What the reporting server shows about a CDR (the report XML/CSV fields). */
export interface CdrSummary {
  readonly direction: 'i' | 'o';
  /** int: only PBX objects took part; ext: an external party did. */
  readonly call: 'int' | 'ext';
  /** co connected, al alerted only, bu busy, er error. */
  readonly status: 'co' | 'al' | 'bu' | 'er';
  /** '' direct, ct transfer, cct transfer after consultation, cf forward, pu pickup. */
  readonly type: '' | 'ct' | 'cct' | 'cf' | 'pu';
  /** Seconds since `utc` of the answer, if the object was connected. */
  readonly connectTime?: number;
  /** Seconds since `utc` of the release. */
  readonly endTime: number;
  readonly alertSeconds: number;
  readonly callSeconds: number;
  readonly connSeconds: number;
  readonly billingSeconds: number;
  readonly cause?: number;
  /** Outgoing: the dialled party; incoming: the caller, or the target of a transfer to this object. */
  readonly remote?: CdrParty;
}

export function cdrSummary(cdr: Cdr): CdrSummary {
  const events = cdr.events;
  const firstTime = events[0]?.time ?? 0;
  const direction = cdrDirection(cdr) === 'outgoing' ? 'o' : 'i';
  const setup = events.find((e) => e.msg === 'setup-from' || e.msg === 'setup-to') ?? events[0];
  const alert = events.find((e) => e.msg === 'alert-from' || e.msg === 'alert-to');
  const conn = events.find((e) => e.msg === 'conn-from' || e.msg === 'conn-to');
  const release = [...events].reverse().find((e) => e.msg === 'rel-from' || e.msg === 'rel-to');
  const endTime = release?.time ?? events[events.length - 1]?.time ?? 0;
  const leave = conn ? events.find((e) => e.time >= conn.time && (e.msg === 'transfer-from' || e.msg === 'cf-from' || e.msg === 'pickup-to')) : undefined;
  const handover = events.find((e) => /^(transfer|cf|pickup)-(from|to)$/.test(e.msg));
  const type: CdrSummary['type'] = !handover
    ? ''
    : handover.msg.startsWith('transfer')
      ? handover.consult
        ? 'cct'
        : 'ct'
      : handover.msg.startsWith('cf')
        ? 'cf'
        : 'pu';
  const cause = release?.cause;
  const status: CdrSummary['status'] = conn ? 'co' : cause === 17 ? 'bu' : alert ? 'al' : 'er';
  const external = events.some((e) => e.party?.external || e.to?.external);
  const transferIn = events.find((e) => e.msg === 'transfer-to' && e.to && (!conn || e.time >= conn.time));
  const remote = direction === 'i' && transferIn?.to ? transferIn.to : setup?.party;
  const firstHandover = events.find((e) => /^(transfer|cf)-(from|to)$/.test(e.msg));
  return {
    direction,
    call: external ? 'ext' : 'int',
    status,
    type,
    ...(conn ? { connectTime: conn.time } : {}),
    endTime,
    alertSeconds: Math.max(0, (conn?.time ?? endTime) - (alert?.time ?? setup?.time ?? firstTime)),
    callSeconds: Math.max(0, endTime - firstTime),
    connSeconds: conn ? Math.max(0, (leave?.time ?? endTime) - conn.time) : 0,
    billingSeconds: direction === 'o' ? Math.max(0, endTime - firstTime) : firstHandover ? Math.max(0, endTime - firstHandover.time) : 0,
    ...(cause !== undefined ? { cause } : {}),
    ...(remote ? { remote } : {}),
  };
}

function partyAttributes(party: CdrParty | undefined): [string, string | undefined][] {
  if (!party) return [];
  return [
    ['type', party.external ? 'ext' : undefined],
    ['e164', party.e164],
    ['h323', party.h323],
    ['dn', party.dn],
  ];
}

// ---------------------------------------------------------------- parsing

/** An element's attributes as a plain record (absent ones read as undefined). */
function attributesOf(element: XmlElement): Readonly<Record<string, string>> {
  return Object.fromEntries(element.attributes);
}

function readCdr(element: XmlElement, source: string, path: string): Cdr {
  const firstConf = element.children.find((c) => c.name === 'event' && c.attributes.get('conf'))?.attributes.get('conf');
  const fail = (where: string, reason: string): never => {
    throw new CdrParseError(source, where, reason, firstConf && /^[0-9a-fA-F]{1,64}$/.test(firstConf) ? firstConf.toLowerCase() : undefined);
  };
  const a = attributesOf(element);
  const dir = a.dir;
  if (dir !== 'from' && dir !== 'to' && dir !== 'cf' && dir !== 'ct') fail(path, `attribute dir must be from, to, cf or ct, got ${JSON.stringify(dir ?? null)}`);
  const utc = readInteger(a.utc, () => fail(path, `attribute utc must be an integer (Unix seconds), got ${JSON.stringify(a.utc ?? null)}`));
  const local = a.local === undefined ? utc : readInteger(a.local, () => fail(path, `attribute local must be an integer, got ${JSON.stringify(a.local)}`));
  const cn = a.cn ?? '';
  const e164 = a.e164 ?? '';
  const h323 = a.h323 ?? '';
  if (!cn && !e164 && !h323) fail(path, 'none of cn, e164, h323 names the object');
  const raw: CdrEvent[] = [];
  const groups: CdrGroup[] = [];
  let eventIndex = 0;
  let groupIndex = 0;
  for (const child of element.children) {
    if (child.name === 'event') {
      eventIndex++;
      raw.push(readEvent(child, `${path}/event[${eventIndex}]`, fail));
    } else if (child.name === 'group') {
      groupIndex++;
      const name = child.attributes.get('name');
      if (!name) fail(`${path}/group[${groupIndex}]`, 'attribute name is missing');
      groups.push({ name: name as string, active: child.attributes.get('active') !== 'false' });
    }
  }
  if (raw.length === 0) fail(path, 'no <event> elements');
  const conf = raw.find((e) => e.conf)?.conf;
  if (!conf) fail(path, 'no event carries a conf (conference id) attribute');
  if (!/^[0-9a-fA-F]{1,64}$/.test(conf!)) fail(path, `conference id must be hex digits, got ${JSON.stringify(conf)}`);
  const base = raw[0]!.time;
  const events = readFacts(
    raw.map((e) => ({ ...e, time: Math.max(0, e.time - base) })),
    { e164, h323, dir: dir as CdrDir },
  );
  return {
    ...(a.id ? { id: a.id } : {}),
    guid: a.guid ?? '',
    ...(a.sys !== undefined ? { sys: a.sys } : {}),
    pbx: a.pbx ?? '',
    ...(a.node !== undefined ? { node: a.node } : {}),
    ...(a.device !== undefined ? { device: a.device } : {}),
    cn,
    e164,
    h323,
    dir: dir as CdrDir,
    utc,
    local,
    conf: (conf as string).toLowerCase(),
    groups,
    events,
    source: elementToXml(element),
  };
}

/** Read the facts the reference shows without a message of their own: forwards, pickups, keyed digits (see the top). */
function readFacts(events: readonly CdrEvent[], self: { e164: string; h323: string; dir: CdrDir }): CdrEvent[] {
  const connectedAt = events.findIndex((e) => e.msg === 'conn-from' || e.msg === 'conn-to');
  const beforeConnect = (index: number): boolean => connectedAt === -1 || index < connectedAt;
  const isSelf = (party: CdrParty | undefined): boolean => !!party && ((!!party.e164 && party.e164 === self.e164) || (!party.e164 && !!party.h323 && party.h323 === self.h323));
  let forwarded = false;
  return events.map((event, index) => {
    if (self.dir === 'cf' && !forwarded && event.msg === 'transfer-from' && beforeConnect(index)) {
      forwarded = true;
      const rang = events.slice(0, index).some((e) => e.msg === 'alert-from' || e.msg === 'alert-to');
      const busy = events.some((e) => (e.msg === 'rel-from' || e.msg === 'rel-to') && e.cause === 17);
      return { ...event, msg: 'cf-from', cf: rang ? 'cfnr' : busy ? 'cfb' : 'cfu' };
    }
    if (event.msg === 'transfer-to' && event.to && beforeConnect(index)) {
      if (isSelf(event.to)) {
        const { to: _picker, ...rest } = event;
        return { ...rest, msg: 'pickup-from' };
      }
      return { ...event, msg: 'pickup-to' };
    }
    if (event.msg === 'info-from') {
      const { party, ...rest } = event;
      return { ...rest, msg: 'dtmf-from', digits: party?.e164 ?? '', ...(party?.h323 !== undefined ? { party: { h323: party.h323, external: false } } : {}) };
    }
    return event;
  });
}

function readEvent(element: XmlElement, path: string, fail: (where: string, reason: string) => never): CdrEvent {
  const a = attributesOf(element);
  if (!a.msg) fail(path, 'attribute msg is missing');
  const time = readInteger(a.time, () => fail(path, `attribute time must be an integer, got ${JSON.stringify(a.time ?? null)}`));
  const cause = a.cause === undefined || a.cause === '' ? undefined : readInteger(a.cause, () => fail(path, `attribute cause must be an integer, got ${JSON.stringify(a.cause)}`));
  const toElement = element.children.find((child) => child.name === 'to');
  const party = readParty(a);
  const to = toElement ? readParty(attributesOf(toElement)) : undefined;
  return {
    msg: a.msg as string,
    time,
    ...(party ? { party } : {}),
    ...(a.conf ? { conf: a.conf } : {}),
    ...(cause !== undefined ? { cause } : {}),
    ...(to ? { to } : {}),
  };
}

function readParty(a: Readonly<Record<string, string>>): CdrParty | undefined {
  if (a.e164 === undefined && a.h323 === undefined && a.dn === undefined && a.type === undefined) return undefined;
  return {
    ...(a.e164 !== undefined ? { e164: a.e164 } : {}),
    ...(a.h323 !== undefined ? { h323: a.h323 } : {}),
    ...(a.dn !== undefined ? { dn: a.dn } : {}),
    external: a.type === 'ext',
  };
}

function readInteger(value: string | undefined, onError: () => never): number {
  if (value === undefined || !/^-?\d{1,15}$/.test(value)) return onError();
  return Number(value);
}
