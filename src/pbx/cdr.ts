/**
 * innovaphone PBX call detail records (CDRs) as the reporting server returns
 * them: types, serialiser, strict parser and summary. The embedded PBX's
 * reporting writes them (src/embedded/reporting) and the recorder reads them.
 *
 * innovaphone PBX call detail records (CDRs): the types, the XML form and a
 * strict parser. This file depends only on ./xml.js so the recorder's
 * reporting client can use it as is (it may later move to src/pbx).
 *
 * The XML follows the innovaphone "Call Detail Record CDR PBX" reference
 * (V10/V11): one `<cdr>` per call and PBX object, seen from the PBX, with
 * an `<event>` per state change. Attested there and used as documented:
 *   <cdr id guid sys pbx node device cn e164 h323 dir="from|to|cf|ct" utc local>
 *     <user/>
 *     <event msg="setup-from|setup-to|alert-from|alert-to|conn-from|conn-to|
 *                 transfer-from|transfer-to|rel-from|rel-to"
 *            time="seconds from the call's start" type="ext" e164 h323 dn
 *            conf="conference id (first event)" cause="Q.931 cause (release)">
 *       <to e164 h323 dn type/>          (transfer: the party the call goes to)
 *     </event>
 *   </cdr>
 * The `-from`/`-to` suffix is the message's direction seen from the object:
 * `setup-from` = the object placed the call, `setup-to` = the PBX offered it
 * to the object; `conn-to` = the far end answered the object's call, etc.
 *
 * Designed here (the reference names the facts but not their XML):
 *  - `<event msg="cf-from" cf="cfu|cfb|cfnr"><to .../></event>`: this object
 *    diverted the call (its CDR has dir="cf"); `cf-to`: the call reached this
 *    object through someone's diversion.
 *  - `<event msg="pickup-from">`: this object picked the call up;
 *    `pickup-to` (with `<to>` = the picker): the call was picked away from it.
 *  - `<event msg="dtmf-from" digits="..."/>`: digits the object keyed during
 *    the call (TAN entry, IVR input).
 *  - `consult="true"` on a transfer event: transfer after consultation.
 *  - `tan="123456"` on `<cdr>`: the TAN the object entered for this call.
 *  - `<group name active="true"/>`: the object's group memberships (the
 *    reporting database stores name/active/type per CDR).
 * Hold and retrieve are not CDR events (as on the real PBX).
 * Times are whole seconds, as in the real format: `utc`/`local` are Unix
 * seconds of the leg's setup, `time` is seconds since `utc`.
 */
import { XmlSyntaxError, parseXml, xmlAttributes } from '../xml/index.js';
import type { XmlElement } from '../xml/index.js';


/** Event messages this simulator writes; parsed CDRs may carry others (`info-from`, `connected`, …). */
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
  /** dtmf-from: the digits keyed. */
  readonly digits?: string;
  /** cf-from / cf-to: which forwarding applied. */
  readonly cf?: 'cfu' | 'cfb' | 'cfnr';
  /** transfer: after a consultation call. */
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
  readonly tan?: string;
  readonly groups: readonly CdrGroup[];
  readonly events: readonly CdrEvent[];
}

export class CdrParseError extends Error {
  override readonly name = 'CdrParseError';
  constructor(
    /** Where the XML came from (a URL, a file name). */
    readonly source: string,
    /** The element at fault, e.g. `cdr[2]/event[3]`, or `(document)`. */
    readonly element: string,
    readonly reason: string,
  ) {
    super(`${source}: ${element}: ${reason}`);
  }
}

/** Serialise one CDR as the PBX does (no XML declaration; `indent` prefixes every line). */
export function cdrToXml(cdr: Cdr, indent = ''): string {
  const lines: string[] = [];
  lines.push(
    `${indent}<cdr${xmlAttributes([
      ['id', cdr.id],
      ['guid', cdr.guid],
      ['sys', cdr.sys],
      ['pbx', cdr.pbx],
      ['node', cdr.node],
      ['device', cdr.device],
      ['cn', cdr.cn],
      ['e164', cdr.e164],
      ['h323', cdr.h323],
      ['dir', cdr.dir],
      ['utc', cdr.utc],
      ['local', cdr.local],
      ['tan', cdr.tan],
    ])}>`,
  );
  lines.push(`${indent}  <user/>`);
  for (const event of cdr.events) {
    const attrs = xmlAttributes([
      ['msg', event.msg],
      ['time', event.time],
      ...partyAttributes(event.party),
      ['conf', event.conf],
      ['cause', event.cause],
      ['cf', event.cf],
      ['digits', event.digits],
      ['consult', event.consult ? 'true' : undefined],
    ]);
    if (event.to) {
      lines.push(`${indent}  <event${attrs}>`);
      lines.push(`${indent}    <to${xmlAttributes(partyAttributes(event.to))}/>`);
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
 * Read every CDR in `xml`: a single `<cdr>`, a `<cdrs>` list, or a report
 * document (`<report><record>…<cdr>`). Throws CdrParseError naming `source`
 * and the element at fault.
 */
export function parseCdrXml(xml: string, source: string): Cdr[] {
  const root = parseDocument(xml, source);
  if (root.name === 'cdr') return [readCdr(root, source, 'cdr')];
  if (root.name !== 'cdrs' && root.name !== 'report') {
    throw new CdrParseError(source, `<${root.name}>`, 'unexpected root element; expected <cdr>, <cdrs> or <report>');
  }
  const cdrs: Cdr[] = [];
  root.children.forEach((child, index) => {
    if (child.name === 'cdr') cdrs.push(readCdr(child, source, `${root.name}/cdr[${index + 1}]`));
    else if (child.name === 'record') {
      child.children.forEach((inner, innerIndex) => {
        if (inner.name === 'cdr') cdrs.push(readCdr(inner, source, `${root.name}/record[${index + 1}]/cdr[${innerIndex + 1}]`));
      });
    }
  });
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
  const fail = (where: string, reason: string): never => {
    throw new CdrParseError(source, where, reason);
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
  if (a.tan !== undefined && !/^\d{1,32}$/.test(a.tan)) fail(path, `attribute tan must be digits, got ${JSON.stringify(a.tan)}`);
  const events: CdrEvent[] = [];
  const groups: CdrGroup[] = [];
  let eventIndex = 0;
  let groupIndex = 0;
  for (const child of element.children) {
    if (child.name === 'event') {
      eventIndex++;
      events.push(readEvent(child, `${path}/event[${eventIndex}]`, fail));
    } else if (child.name === 'group') {
      groupIndex++;
      const name = child.attributes.get('name');
      if (!name) fail(`${path}/group[${groupIndex}]`, 'attribute name is missing');
      groups.push({ name: name as string, active: child.attributes.get('active') !== 'false' });
    }
  }
  if (events.length === 0) fail(path, 'no <event> elements');
  const conf = events.find((e) => e.conf)?.conf;
  if (!conf) fail(path, 'no event carries a conf (conference id) attribute');
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
    conf: conf as string,
    ...(a.tan !== undefined ? { tan: a.tan } : {}),
    groups,
    events,
  };
}

function readEvent(element: XmlElement, path: string, fail: (where: string, reason: string) => never): CdrEvent {
  const a = attributesOf(element);
  if (!a.msg) fail(path, 'attribute msg is missing');
  const time = readInteger(a.time, () => fail(path, `attribute time must be an integer, got ${JSON.stringify(a.time ?? null)}`));
  const cause = a.cause === undefined || a.cause === '' ? undefined : readInteger(a.cause, () => fail(path, `attribute cause must be an integer, got ${JSON.stringify(a.cause)}`));
  const cf = a.cf;
  if (cf !== undefined && cf !== 'cfu' && cf !== 'cfb' && cf !== 'cfnr') fail(path, `attribute cf must be cfu, cfb or cfnr, got ${JSON.stringify(cf)}`);
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
    ...(a.digits !== undefined ? { digits: a.digits } : {}),
    ...(cf ? { cf: cf as 'cfu' | 'cfb' | 'cfnr' } : {}),
    ...(a.consult === 'true' ? { consult: true } : {}),
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
