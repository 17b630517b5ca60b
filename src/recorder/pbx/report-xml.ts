/**
 * innovaphone Reporting's Report XML, as its remote interface (report.php,
 * format=xml) returns it and as the Reporting reference documents it
 * ("Report XML and CSV"): types, a strict reader and a writer.
 *
 *   <report>
 *     <record>
 *       <time time="LOCAL_UNIX" utc="UTC_UNIX">YYYY-MM-DD HH:MM:SS</time>
 *       <obj>cn</obj> <id>conference id</id> <call>int|ext</call>
 *       <alert-duration seconds="N">m:ss</alert-duration>
 *       <flow><ev caller="ep1|ep2|" ep1_number ep1_name ep1_dn ep2_number ep2_name ep2_dn
 *                 status="co|al|er|bu" entry="true" type="cf|ct|cct|pu"/>…</flow>
 *       <call-duration seconds="N"/> <billing-duration seconds="N"/> <conn-duration seconds="N"/>
 *       <groups><group>name</group>…</groups>
 *       <node/> <pbx/> <cause>16</cause> <dir>i|o</dir> <status>co|al|er|bu</status> <type>|ct|cf|cct|pu</type>
 *       <remote number name dn/>
 *       <callback number name dn time>…</callback>
 *     </record>
 *   </report>
 * One record per CDR, i.e. per PBX object and call. Elements this reader
 * does not know are skipped (later Reporting versions add columns); a record
 * lacking what every record has (time, obj, id, dir) is a ReportParseError
 * naming the record, its conference id when it has one, and the reason.
 */
import { XmlSyntaxError, elementToXml, escapeXml, parseXml, xmlAttributes } from '../../platform/xml/index.js';
import type { XmlElement } from '../../platform/xml/index.js';

export type ReportStatus = 'co' | 'al' | 'er' | 'bu';
/** '' direct call, ct transfer, cct transfer after consultation, cf call forward, pu pickup. */
export type ReportCallType = '' | 'ct' | 'cct' | 'cf' | 'pu';

/** One endpoint of a flow event, or the remote / callback party. */
export interface ReportParty {
  readonly number: string;
  /** The object's name (H.323 id); empty for parties outside the PBX. */
  readonly name: string;
  /** Display name. */
  readonly dn: string;
}

/** A step of the call flow: ep1 and ep2 were in a call in this state. */
export interface ReportFlowEvent {
  /** Which endpoint placed the call of this step; '' when unknown. */
  readonly caller: 'ep1' | 'ep2' | '';
  readonly ep1: ReportParty;
  readonly ep2: ReportParty;
  /** '' when the document leaves it out. */
  readonly status: ReportStatus | '';
  /** The step where the record's own object entered the call. */
  readonly entry: boolean;
  readonly type: ReportCallType;
}

export interface ReportRecord {
  /** Unix seconds of the CDR's local time stamp. */
  readonly localTime: number;
  /** Unix seconds (UTC). */
  readonly utc: number;
  /** The PBX object (cn) this record is about. */
  readonly obj: string;
  /** Conference id of the call, lower case. */
  readonly conf: string;
  readonly call: 'int' | 'ext';
  readonly alertSeconds: number;
  readonly callSeconds: number;
  readonly billingSeconds: number;
  readonly connSeconds: number;
  readonly flow: readonly ReportFlowEvent[];
  readonly groups: readonly string[];
  readonly node: string;
  readonly pbx: string;
  /** Q.931 disconnect cause, if given. */
  readonly cause?: number;
  readonly dir: 'i' | 'o';
  readonly status: ReportStatus | '';
  readonly type: ReportCallType;
  readonly remote?: ReportParty;
  readonly callback?: ReportParty & { readonly time: number };
  /** The `<record>` as read, written back (kept with the recording). */
  readonly source?: string;
}

export class ReportParseError extends Error {
  override readonly name = 'ReportParseError';
  constructor(
    /** Where the XML came from (a URL, a file name). */
    readonly source: string,
    /** The conference id of the record at fault, when it could be read. */
    readonly conf: string | undefined,
    /** The element at fault, e.g. `report/record[2]/flow/ev[3]`, or `(document)`. */
    readonly element: string,
    readonly reason: string,
  ) {
    super(`${source}: ${element}${conf ? ` (conference ${conf})` : ''}: ${reason}`);
  }
}

const STATUSES: readonly string[] = ['co', 'al', 'er', 'bu'];
const TYPES: readonly string[] = ['', 'ct', 'cct', 'cf', 'pu'];

/** Read every record of a Report XML document. Throws ReportParseError. */
export function parseReportXml(xml: string, source: string): ReportRecord[] {
  if (xml.trim() === '') throw new ReportParseError(source, undefined, '(document)', 'empty document');
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new ReportParseError(source, undefined, '(document)', `malformed XML: ${error.message}`);
    throw error;
  }
  if (root.name !== 'report') throw new ReportParseError(source, undefined, `<${root.name}>`, 'unexpected root element; a Report XML document is a <report>');
  return readReportElement(root, source);
}

/** The records of a parsed `<report>` element. */
export function readReportElement(root: XmlElement, source: string): ReportRecord[] {
  const records: ReportRecord[] = [];
  let index = 0;
  for (const child of root.children) {
    if (child.name !== 'record') continue;
    index++;
    records.push(readRecord(child, source, `report/record[${index}]`));
  }
  return records;
}

function readRecord(element: XmlElement, source: string, path: string): ReportRecord {
  const idText = childText(element, 'id')?.trim();
  const conf = idText && /^[0-9a-fA-F]{1,64}$/.test(idText) ? idText.toLowerCase() : undefined;
  const fail = (where: string, reason: string): never => {
    throw new ReportParseError(source, conf, where, reason);
  };
  if (idText === undefined || idText === '') fail(path, 'no <id> (conference id)');
  if (conf === undefined) fail(`${path}/id`, `conference id must be hex digits, got ${JSON.stringify(idText)}`);
  const time = element.children.find((c) => c.name === 'time');
  if (!time) fail(path, 'no <time>');
  const utc = readInteger(time!.attributes.get('utc'), () => fail(`${path}/time`, `attribute utc must be Unix seconds, got ${JSON.stringify(time!.attributes.get('utc') ?? null)}`));
  const localRaw = time!.attributes.get('time');
  const localTime = localRaw === undefined ? utc : readInteger(localRaw, () => fail(`${path}/time`, `attribute time must be Unix seconds, got ${JSON.stringify(localRaw)}`));
  const obj = childText(element, 'obj')?.trim() ?? '';
  if (obj === '') fail(path, 'no <obj> (PBX object)');
  const dir = childText(element, 'dir')?.trim();
  if (dir !== 'i' && dir !== 'o') fail(`${path}/dir`, `must be i or o, got ${JSON.stringify(dir ?? null)}`);
  const call = childText(element, 'call')?.trim() || 'int';
  if (call !== 'int' && call !== 'ext') fail(`${path}/call`, `must be int or ext, got ${JSON.stringify(call)}`);
  const status = childText(element, 'status')?.trim() ?? '';
  if (status !== '' && !STATUSES.includes(status)) fail(`${path}/status`, `must be co, al, er or bu, got ${JSON.stringify(status)}`);
  const type = childText(element, 'type')?.trim() ?? '';
  if (!TYPES.includes(type)) fail(`${path}/type`, `must be empty, ct, cct, cf or pu, got ${JSON.stringify(type)}`);
  const seconds = (name: string): number => {
    const node = element.children.find((c) => c.name === name);
    if (!node) return 0;
    const raw = node.attributes.get('seconds');
    if (raw === undefined) return 0;
    return readInteger(raw, () => fail(`${path}/${name}`, `attribute seconds must be a whole number, got ${JSON.stringify(raw)}`), false);
  };
  const causeText = childText(element, 'cause')?.trim() ?? '';
  const cause = causeText === '' ? undefined : readInteger(causeText, () => fail(`${path}/cause`, `must be a decimal cause, got ${JSON.stringify(causeText)}`), false);
  const flowElement = element.children.find((c) => c.name === 'flow');
  const flow: ReportFlowEvent[] = [];
  if (flowElement) {
    let evIndex = 0;
    for (const ev of flowElement.children) {
      if (ev.name !== 'ev') continue;
      evIndex++;
      flow.push(readFlowEvent(ev, `${path}/flow/ev[${evIndex}]`, fail));
    }
  }
  const groups = (element.children.find((c) => c.name === 'groups')?.children ?? []).filter((g) => g.name === 'group').map((g) => g.text.trim()).filter((g) => g !== '');
  const remoteElement = element.children.find((c) => c.name === 'remote');
  const remote = remoteElement ? partyOf(remoteElement) : undefined;
  const callbackElement = element.children.find((c) => c.name === 'callback');
  let callback: (ReportParty & { time: number }) | undefined;
  if (callbackElement) {
    const raw = callbackElement.attributes.get('time');
    const at = raw === undefined || raw === '' ? 0 : readInteger(raw, () => fail(`${path}/callback`, `attribute time must be Unix seconds, got ${JSON.stringify(raw)}`));
    callback = { ...partyOf(callbackElement), time: at };
  }
  return {
    localTime,
    utc,
    obj,
    conf: conf!,
    call: call as 'int' | 'ext',
    alertSeconds: seconds('alert-duration'),
    callSeconds: seconds('call-duration'),
    billingSeconds: seconds('billing-duration'),
    connSeconds: seconds('conn-duration'),
    flow,
    groups,
    node: childText(element, 'node')?.trim() ?? '',
    pbx: childText(element, 'pbx')?.trim() ?? '',
    ...(cause !== undefined ? { cause } : {}),
    dir: dir as 'i' | 'o',
    status: status as ReportStatus | '',
    type: type as ReportCallType,
    ...(remote && (remote.number || remote.name || remote.dn) ? { remote } : {}),
    ...(callback && (callback.number || callback.name || callback.dn) ? { callback } : {}),
    source: elementToXml(element),
  };
}

function readFlowEvent(element: XmlElement, path: string, fail: (where: string, reason: string) => never): ReportFlowEvent {
  const a = element.attributes;
  const caller = a.get('caller') ?? '';
  if (caller !== 'ep1' && caller !== 'ep2' && caller !== '') fail(path, `attribute caller must be ep1, ep2 or empty, got ${JSON.stringify(caller)}`);
  const status = a.get('status') ?? '';
  if (status !== '' && !STATUSES.includes(status)) fail(path, `attribute status must be co, al, er or bu, got ${JSON.stringify(status)}`);
  const type = a.get('type') ?? '';
  if (!TYPES.includes(type)) fail(path, `attribute type must be empty, ct, cct, cf or pu, got ${JSON.stringify(type)}`);
  const endpoint = (prefix: 'ep1' | 'ep2'): ReportParty => ({
    number: (a.get(`${prefix}_number`) ?? '').trim(),
    name: a.get(`${prefix}_name`) ?? '',
    dn: a.get(`${prefix}_dn`) ?? '',
  });
  return {
    caller: caller as 'ep1' | 'ep2' | '',
    ep1: endpoint('ep1'),
    ep2: endpoint('ep2'),
    status: status as ReportStatus | '',
    entry: a.get('entry') === 'true',
    type: type as ReportCallType,
  };
}

function partyOf(element: XmlElement): ReportParty {
  return { number: (element.attributes.get('number') ?? '').trim(), name: element.attributes.get('name') ?? '', dn: element.attributes.get('dn') ?? '' };
}

function childText(element: XmlElement, name: string): string | undefined {
  return element.children.find((c) => c.name === name)?.text;
}

function readInteger(value: string | undefined, onError: () => never, signed = true): number {
  if (value === undefined || !(signed ? /^-?\d{1,15}$/ : /^\d{1,15}$/).test(value.trim())) return onError();
  return Number(value.trim());
}

// ---------------------------------------------------------------- writing

/** `m:ss` as the report shows durations (minutes unbounded). */
export function formatReportDuration(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** `YYYY-MM-DD HH:MM:SS` of Unix-style local seconds. */
export function formatReportTime(localSeconds: number): string {
  return new Date(localSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** One `<record>` (lines indented by four spaces, as inside `<report>`). */
export function reportRecordXml(record: ReportRecord): string {
  const out: string[] = ['  <record>'];
  const duration = (name: string, seconds: number): string => `    <${name} seconds="${seconds}">${formatReportDuration(seconds)}</${name}>`;
  out.push(`    <time${xmlAttributes([['time', record.localTime], ['utc', record.utc]])}>${formatReportTime(record.localTime)}</time>`);
  out.push(`    <obj>${escapeXml(record.obj)}</obj>`);
  out.push(`    <id>${escapeXml(record.conf)}</id>`);
  out.push(`    <call>${record.call}</call>`);
  out.push(duration('alert-duration', record.alertSeconds));
  out.push('    <flow>');
  for (const ev of record.flow) {
    out.push(
      `      <ev${xmlAttributes([
        ['caller', ev.caller],
        ['ep1_number', ev.ep1.number],
        ['ep1_name', ev.ep1.name],
        ['ep1_dn', ev.ep1.dn],
        ['ep2_number', ev.ep2.number],
        ['ep2_name', ev.ep2.name],
        ['ep2_dn', ev.ep2.dn],
        ['status', ev.status],
        ['entry', ev.entry ? 'true' : undefined],
        ['type', ev.type || undefined],
      ])}/>`,
    );
  }
  out.push('    </flow>');
  out.push(duration('call-duration', record.callSeconds));
  out.push(duration('billing-duration', record.billingSeconds));
  out.push(duration('conn-duration', record.connSeconds));
  if (record.groups.length === 0) out.push('    <groups/>');
  else {
    out.push('    <groups>');
    for (const group of record.groups) out.push(`      <group>${escapeXml(group)}</group>`);
    out.push('    </groups>');
  }
  out.push(`    <node>${escapeXml(record.node)}</node>`);
  out.push(`    <pbx>${escapeXml(record.pbx)}</pbx>`);
  out.push(`    <cause>${record.cause ?? ''}</cause>`);
  out.push(`    <dir>${record.dir}</dir>`);
  out.push(`    <status>${record.status}</status>`);
  out.push(record.type ? `    <type>${record.type}</type>` : '    <type/>');
  const remote = record.remote ?? { number: '', name: '', dn: '' };
  out.push(`    <remote${xmlAttributes([['number', remote.number], ['name', remote.name], ['dn', remote.dn]])}/>`);
  if (record.callback) {
    const cb = record.callback;
    out.push(`    <callback${xmlAttributes([['number', cb.number], ['name', cb.name], ['dn', cb.dn], ['time', cb.time]])}>${formatReportTime(cb.time)}</callback>`);
  }
  out.push('  </record>');
  return out.join('\n');
}

/** A whole Report XML document. */
export function reportXml(records: readonly ReportRecord[]): string {
  return ['<?xml version="1.0" encoding="utf-8"?>', '<report>', ...records.map(reportRecordXml), '</report>', ''].join('\n');
}
