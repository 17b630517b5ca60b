/**
 * The remote interface of innovaphone Reporting (report.php): its query
 * parameters and the XML / CSV report it answers with. The XML is the
 * documented Report XML (src/recorder/pbx/report-xml.ts), one record per CDR (per PBX
 * object and call leg); how a leg's transfers, forwards, pickups and dialled
 * digits show in the record's flow is described in src/recorder/pbx/report-legs.ts,
 * which reads them back.
 */
import type { Cdr, CdrEvent, CdrParty, ReportFlowEvent, ReportParty, ReportRecord, ReportStatus } from '../../recorder/pbx/index.js';
import { cdrSummary, formatReportDuration, formatReportTime, reportXml as writeReportXml } from '../../recorder/pbx/index.js';

export type ReportFormat = 'xml' | 'csv';
export type ReportSortBy = 'time' | 'obj' | 'call-duration' | 'alert-duration' | 'dir';

export interface ReportQuery {
  /** Lower-case 32-hex conference id; when set, from/to/pbx/pbxobject are not needed. */
  readonly confid?: string;
  /** Unix seconds, inclusive. */
  readonly from?: number;
  readonly to?: number;
  readonly pbx?: string;
  /** PostgreSQL LIKE pattern (% and _), case-insensitive, matched against cn and h323. */
  readonly pbxobject?: string;
  readonly format: ReportFormat;
  readonly sortby: ReportSortBy;
  readonly sortorder: 'ascending' | 'descending';
}

/** A request the server refuses; `status` is the HTTP status to answer with. */
export class ReportQueryError extends Error {
  override readonly name = 'ReportQueryError';
  constructor(
    readonly status: number,
    readonly parameter: string,
    readonly reason: string,
  ) {
    super(`${parameter}: ${reason}`);
  }
}

const SORT_BY: readonly ReportSortBy[] = ['time', 'obj', 'call-duration', 'alert-duration', 'dir'];

/** Validate report.php parameters. Times without a zone are the PBX's local time (`localOffsetMinutes` from UTC). */
export function parseReportQuery(params: URLSearchParams, localOffsetMinutes = 0): ReportQuery {
  const single = (name: string): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1) throw new ReportQueryError(400, name, 'given more than once');
    return values[0];
  };
  const remote = single('remote');
  if (remote !== '1') throw new ReportQueryError(400, 'remote', remote === undefined ? 'missing; remote=1 is mandatory for a remote request' : `must be 1, got ${JSON.stringify(remote)}`);

  const formatRaw = (single('format') ?? 'xml').toLowerCase();
  if (formatRaw === 'pdf') throw new ReportQueryError(501, 'format', 'pdf is not supported by this server; use xml or csv');
  if (formatRaw !== 'xml' && formatRaw !== 'csv') throw new ReportQueryError(400, 'format', `unknown format ${JSON.stringify(formatRaw)}; allowed: xml, csv`);

  const sortRaw = single('sortby') ?? 'time';
  if (!(SORT_BY as readonly string[]).includes(sortRaw)) throw new ReportQueryError(400, 'sortby', `unknown value ${JSON.stringify(sortRaw)}; allowed: ${SORT_BY.join(', ')}`);
  const orderRaw = single('sortorder') ?? 'ascending';
  if (orderRaw !== 'ascending' && orderRaw !== 'descending') throw new ReportQueryError(400, 'sortorder', `must be ascending or descending, got ${JSON.stringify(orderRaw)}`);

  const confidRaw = single('confid');
  if (confidRaw !== undefined && !/^[0-9a-fA-F]{32}$/.test(confidRaw)) throw new ReportQueryError(400, 'confid', `must be 32 hex digits, got ${JSON.stringify(confidRaw)}`);
  const fromRaw = single('from');
  const toRaw = single('to');
  const from = fromRaw !== undefined ? parseTime(fromRaw, 'from', localOffsetMinutes, false) : undefined;
  const to = toRaw !== undefined ? parseTime(toRaw, 'to', localOffsetMinutes, true) : undefined;
  if (confidRaw === undefined) {
    if (from === undefined || to === undefined) throw new ReportQueryError(400, from === undefined ? 'from' : 'to', 'missing; give from and to, or confid');
  }
  if (from !== undefined && to !== undefined && from > to) throw new ReportQueryError(400, 'to', `is before from (${toRaw} < ${fromRaw})`);

  const pbx = single('pbx');
  const pbxobject = single('pbxobject');
  if (pbxobject !== undefined && pbxobject.length > 256) throw new ReportQueryError(400, 'pbxobject', 'longer than 256 characters');
  return {
    ...(confidRaw !== undefined ? { confid: confidRaw.toLowerCase() } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(pbx !== undefined && pbx !== '' ? { pbx } : {}),
    ...(pbxobject !== undefined && pbxobject !== '' ? { pbxobject } : {}),
    format: formatRaw,
    sortby: sortRaw as ReportSortBy,
    sortorder: orderRaw,
  };
}

/**
 * A UNIX timestamp, or a date / date-time (`2011-03-29`, `2011-03-29 10:00`,
 * `2011-03-29T10:00:00Z`, with an optional zone). A bare date as `to`
 * covers that whole day.
 */
function parseTime(raw: string, name: string, localOffsetMinutes: number, endOfDay: boolean): number {
  const value = raw.trim();
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(value);
  if (!match) throw new ReportQueryError(400, name, `not a UNIX timestamp or a date (YYYY-MM-DD[ HH:MM[:SS]][zone]): ${JSON.stringify(raw)}`);
  const [, y, mo, d, h, mi, s, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h !== undefined ? Number(h) : 0;
  const minute = mi !== undefined ? Number(mi) : 0;
  const second = s !== undefined ? Number(s) : 0;
  const utcMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(utcMs);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new ReportQueryError(400, name, `not a valid date/time: ${JSON.stringify(raw)}`);
  }
  let offsetMinutes = localOffsetMinutes;
  if (zone !== undefined) {
    if (zone.toUpperCase() === 'Z') offsetMinutes = 0;
    else {
      const digits = zone.replace(':', '');
      const zoneH = Number(digits.slice(1, 3));
      const zoneM = Number(digits.slice(3, 5));
      if (zoneH > 14 || zoneM > 59) throw new ReportQueryError(400, name, `bad time zone ${zone}`);
      offsetMinutes = (digits[0] === '-' ? -1 : 1) * (zoneH * 60 + zoneM);
    }
  }
  let seconds = Math.floor(utcMs / 1000) - offsetMinutes * 60;
  if (endOfDay && h === undefined) seconds += 86_399;
  return seconds;
}

/** The CDRs a query selects, sorted as asked. */
export function selectCdrs(cdrs: readonly Cdr[], query: ReportQuery): Cdr[] {
  const objectPattern = query.pbxobject !== undefined ? likePattern(query.pbxobject) : undefined;
  const pbx = query.pbx?.toLowerCase();
  const selected = cdrs.filter((cdr) => {
    if (query.confid !== undefined && cdr.conf.toLowerCase() !== query.confid) return false;
    if (query.from !== undefined && cdr.utc < query.from) return false;
    if (query.to !== undefined && cdr.utc > query.to) return false;
    if (pbx !== undefined && cdr.pbx.toLowerCase() !== pbx && (cdr.sys ?? '').toLowerCase() !== pbx) return false;
    if (objectPattern && !objectPattern.test(cdr.cn) && !objectPattern.test(cdr.h323)) return false;
    return true;
  });
  const key = (cdr: Cdr): number | string => {
    switch (query.sortby) {
      case 'time':
        return cdr.utc;
      case 'obj':
        return cdr.cn.toLowerCase();
      case 'call-duration':
        return cdrSummary(cdr).callSeconds;
      case 'alert-duration':
        return cdrSummary(cdr).alertSeconds;
      case 'dir':
        return cdrSummary(cdr).direction;
    }
  };
  const sign = query.sortorder === 'descending' ? -1 : 1;
  // Stable: equal keys keep arrival order (then time), so answers are deterministic.
  return selected
    .map((cdr, index) => ({ cdr, index, key: key(cdr) }))
    .sort((a, b) => (a.key < b.key ? -sign : a.key > b.key ? sign : a.cdr.utc - b.cdr.utc || a.index - b.index))
    .map((entry) => entry.cdr);
}

/** PostgreSQL LIKE (% any run, _ one character), case-insensitive, whole string. */
export function likePattern(pattern: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += char.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

export function renderReport(cdrs: readonly Cdr[], format: ReportFormat): { contentType: string; body: string } {
  if (format === 'csv') return { contentType: 'text/csv; charset=utf-8', body: reportCsv(cdrs) };
  return { contentType: 'application/xml; charset=utf-8', body: reportXml(cdrs) };
}

export function reportXml(cdrs: readonly Cdr[]): string {
  return writeReportXml(cdrs.map(reportRecordOf));
}

/** The record Reporting shows for one leg. */
export function reportRecordOf(cdr: Cdr): ReportRecord {
  const s = cdrSummary(cdr);
  const self: ReportParty = { number: cdr.e164, name: cdr.h323, dn: cdr.cn };
  const ep = (party: CdrParty | undefined): ReportParty => ({ number: party?.e164 ?? '', name: party?.h323 ?? '', dn: party?.dn ?? '' });
  const find = (msg: string): CdrEvent | undefined => cdr.events.find((e) => e.msg === msg);
  const setup = cdr.events.find((e) => e.msg === 'setup-from' || e.msg === 'setup-to');
  const outgoing = s.direction === 'o';
  const forward = find('cf-from');
  const pickedAway = find('pickup-to');
  const pickedUp = find('pickup-from');
  const alert = cdr.events.find((e) => e.msg === 'alert-from' || e.msg === 'alert-to');
  const connect = cdr.events.find((e) => e.msg === 'conn-from' || e.msg === 'conn-to');
  const entryStatus: ReportStatus = forward?.cf === 'cfb' ? 'bu' : connect ? 'co' : alert || forward || pickedAway ? 'al' : s.cause === 17 ? 'bu' : 'er';
  const flow: ReportFlowEvent[] = [];
  const far = ep(setup?.party);
  flow.push({ caller: 'ep1', ep1: outgoing ? self : far, ep2: outgoing ? far : self, status: entryStatus, entry: true, type: pickedUp ? 'pu' : '' });
  for (const event of cdr.events) {
    switch (event.msg) {
      case 'cf-from':
        flow.push({ caller: 'ep1', ep1: far, ep2: ep(event.to), status: 'co', entry: false, type: 'cf' });
        break;
      case 'pickup-to':
        flow.push({ caller: 'ep1', ep1: far, ep2: ep(event.to), status: 'co', entry: false, type: 'pu' });
        break;
      case 'transfer-from':
        flow.push({ caller: '', ep1: ep(event.party), ep2: ep(event.to), status: 'co', entry: false, type: event.consult ? 'cct' : 'ct' });
        break;
      case 'transfer-to': {
        const toSelf = event.to?.e164 === cdr.e164;
        flow.push({ caller: '', ep1: toSelf ? ep(event.party) : self, ep2: toSelf ? self : ep(event.to), status: 'co', entry: false, type: event.consult ? 'cct' : 'ct' });
        break;
      }
      case 'dtmf-from':
        flow.push({ caller: 'ep1', ep1: self, ep2: { number: event.digits ?? '', name: event.party?.h323 ?? '', dn: event.party?.dn ?? '' }, status: 'co', entry: false, type: '' });
        break;
    }
  }
  // Ringing ends at the answer, or when the call left the object unanswered (forward, pickup, release).
  const ringEnd = connect?.time ?? forward?.time ?? pickedAway?.time ?? s.endTime;
  const alertSeconds = alert ? Math.max(0, ringEnd - alert.time) : 0;
  const handover = flow.find((ev) => !ev.entry && ev.type !== '');
  return {
    localTime: cdr.local,
    utc: cdr.utc,
    obj: cdr.cn,
    conf: cdr.conf,
    call: s.call,
    alertSeconds,
    callSeconds: s.callSeconds,
    billingSeconds: s.billingSeconds,
    connSeconds: s.connSeconds,
    flow,
    groups: cdr.groups.filter((g) => g.active).map((g) => g.name),
    node: cdr.node ?? '',
    pbx: cdr.pbx,
    ...(s.cause !== undefined ? { cause: s.cause } : {}),
    dir: s.direction,
    status: outgoing ? bestStatus(flow) : entryStatus,
    type: flow[0]!.type || handover?.type || '',
    remote: outgoing ? far : remoteOf(flow),
  };
}

/** Outgoing calls: the best status found in the flow (co before al before bu before er). */
function bestStatus(flow: readonly ReportFlowEvent[]): ReportStatus {
  for (const status of ['co', 'al', 'bu', 'er'] as const) if (flow.some((ev) => ev.status === status)) return status;
  return 'er';
}

/** Incoming calls: the first ep2 above the entry event, or the entry event's; a transfer to the object after it: its target. */
function remoteOf(flow: readonly ReportFlowEvent[]): ReportParty {
  const entryIndex = flow.findIndex((ev) => ev.entry);
  const entry = flow[entryIndex]!;
  const before = flow.slice(0, entryIndex).find((ev) => ev.ep2.number !== '');
  const transferIn = flow.slice(entryIndex + 1).find((ev) => (ev.type === 'ct' || ev.type === 'cct') && ev.ep2.number === entry.ep2.number);
  if (transferIn) return transferIn.ep1;
  return before?.ep2 ?? entry.ep1;
}

export const REPORT_CSV_COLUMNS = [
  'Time',
  'UTC',
  'PBX Object',
  'Conference ID',
  'Call',
  'Direction',
  'State',
  'Type',
  'Remote Party',
  'Remote Name',
  'Alert Duration',
  'Call Duration (Total)',
  'Call Duration (User)',
  'Billing Duration',
  'Cause',
  'Node',
  'PBX',
] as const;

/** CSV as the reference describes it: comma, `"` as text qualifier, UTF-8; no call flow. */
export function reportCsv(cdrs: readonly Cdr[]): string {
  const rows: string[][] = [[...REPORT_CSV_COLUMNS]];
  for (const cdr of cdrs) {
    const s = cdrSummary(cdr);
    rows.push([
      formatReportTime(cdr.local),
      String(cdr.utc),
      cdr.cn,
      cdr.conf,
      s.call,
      s.direction,
      s.status,
      s.type,
      s.remote?.e164 ?? '',
      s.remote?.dn ?? s.remote?.h323 ?? '',
      formatReportDuration(s.alertSeconds),
      formatReportDuration(s.callSeconds),
      formatReportDuration(s.connSeconds),
      formatReportDuration(s.billingSeconds),
      s.cause !== undefined ? String(s.cause) : '',
      cdr.node ?? '',
      cdr.pbx,
    ]);
  }
  return rows.map((row) => row.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(',')).join('\r\n') + '\r\n';
}

/** `m:ss` as the report shows durations (minutes unbounded). */
export const formatDuration = formatReportDuration;
