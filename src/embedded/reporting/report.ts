/**
 * The remote interface of innovaphone Reporting (report.php): its query
 * parameters and the XML / CSV report it answers with.
 *
 * Report XML (after the "Report XML and CSV" appendix of the Reporting
 * reference; `<tan>` and the embedded `<cdr>` are additions of this
 * simulator so a client gets the full call detail in one request):
 *   <?xml version="1.0" encoding="utf-8"?>
 *   <report>
 *     <record>
 *       <time time="LOCAL_UNIX" utc="UTC_UNIX">YYYY-MM-DD HH:MM:SS (local)</time>
 *       <obj>cn</obj> <id>conference id</id> <call>int|ext</call>
 *       <alert-duration seconds="N">m:ss</alert-duration>
 *       <flow><ev caller="ep1" ep1_number ep1_name ep1_dn ep2_number ep2_name ep2_dn status entry="true" type/>…</flow>
 *       <call-duration seconds="N">m:ss</call-duration>
 *       <billing-duration seconds="N">m:ss</billing-duration>
 *       <conn-duration seconds="N">m:ss</conn-duration>
 *       <groups><group>name</group>…</groups>
 *       <node>root</node> <pbx>pbx name</pbx> <cause>16</cause>
 *       <dir>i|o</dir> <status>co|al|bu|er</status> <type>|ct|cct|cf|pu</type>
 *       <remote number name dn/>
 *       <tan>123456</tan>                 (only when a TAN was entered)
 *       <cdr …>…</cdr>                     (the CDR the record is made of)
 *     </record>
 *   </report>
 * One record per CDR, i.e. per PBX object and call leg.
 */
import type { Cdr, CdrParty } from '../../pbx/index.js';
import { cdrSummary, cdrToXml } from '../../pbx/index.js';
import { escapeXml, xmlAttributes } from '../../pbx/index.js';

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
  const out: string[] = ['<?xml version="1.0" encoding="utf-8"?>', '<report>'];
  for (const cdr of cdrs) {
    const s = cdrSummary(cdr);
    const self: CdrParty = { e164: cdr.e164, h323: cdr.h323, dn: cdr.cn, external: false };
    out.push('  <record>');
    out.push(`    <time${xmlAttributes([['time', cdr.local], ['utc', cdr.utc]])}>${formatLocal(cdr.local)}</time>`);
    out.push(`    <obj>${escapeXml(cdr.cn)}</obj>`);
    out.push(`    <id>${escapeXml(cdr.conf)}</id>`);
    out.push(`    <call>${s.call}</call>`);
    out.push(`    <alert-duration seconds="${s.alertSeconds}">${formatDuration(s.alertSeconds)}</alert-duration>`);
    out.push('    <flow>');
    const setupParty = cdr.events.find((e) => e.msg === 'setup-from' || e.msg === 'setup-to')?.party;
    const [ep1, ep2] = s.direction === 'o' ? [self, setupParty] : [setupParty, self];
    out.push(`      <ev${xmlAttributes([['caller', 'ep1'], ...endpoint('ep1', ep1), ...endpoint('ep2', ep2), ['status', s.status], ['entry', 'true']])}/>`);
    for (const event of cdr.events) {
      const kind = /^(transfer|cf|pickup)-/.exec(event.msg)?.[1];
      if (!kind) continue;
      const type = kind === 'transfer' ? (event.consult ? 'cct' : 'ct') : kind === 'cf' ? 'cf' : 'pu';
      out.push(`      <ev${xmlAttributes([['caller', ''], ...endpoint('ep1', event.party), ...endpoint('ep2', event.to ?? self), ['status', s.status === 'co' ? 'co' : 'al'], ['type', type]])}/>`);
    }
    out.push('    </flow>');
    out.push(`    <call-duration seconds="${s.callSeconds}">${formatDuration(s.callSeconds)}</call-duration>`);
    out.push(`    <billing-duration seconds="${s.billingSeconds}">${formatDuration(s.billingSeconds)}</billing-duration>`);
    out.push(`    <conn-duration seconds="${s.connSeconds}">${formatDuration(s.connSeconds)}</conn-duration>`);
    if (cdr.groups.length === 0) out.push('    <groups/>');
    else {
      out.push('    <groups>');
      for (const group of cdr.groups) out.push(`      <group>${escapeXml(group.name)}</group>`);
      out.push('    </groups>');
    }
    out.push(`    <node>${escapeXml(cdr.node ?? '')}</node>`);
    out.push(`    <pbx>${escapeXml(cdr.pbx)}</pbx>`);
    out.push(`    <cause>${s.cause ?? ''}</cause>`);
    out.push(`    <dir>${s.direction}</dir>`);
    out.push(`    <status>${s.status}</status>`);
    out.push(s.type ? `    <type>${s.type}</type>` : '    <type/>');
    out.push(`    <remote${xmlAttributes([['number', s.remote?.e164 ?? ''], ['name', s.remote?.h323 ?? ''], ['dn', s.remote?.dn ?? '']])}/>`);
    if (cdr.tan !== undefined) out.push(`    <tan>${escapeXml(cdr.tan)}</tan>`);
    out.push(cdrToXml(cdr, '    '));
    out.push('  </record>');
  }
  out.push('</report>');
  return `${out.join('\n')}\n`;
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
  'TAN',
  'Node',
  'PBX',
] as const;

/** CSV as the reference describes it: comma, `"` as text qualifier, UTF-8; no call flow. */
export function reportCsv(cdrs: readonly Cdr[]): string {
  const rows: string[][] = [[...REPORT_CSV_COLUMNS]];
  for (const cdr of cdrs) {
    const s = cdrSummary(cdr);
    rows.push([
      formatLocal(cdr.local),
      String(cdr.utc),
      cdr.cn,
      cdr.conf,
      s.call,
      s.direction,
      s.status,
      s.type,
      s.remote?.e164 ?? '',
      s.remote?.dn ?? s.remote?.h323 ?? '',
      formatDuration(s.alertSeconds),
      formatDuration(s.callSeconds),
      formatDuration(s.connSeconds),
      formatDuration(s.billingSeconds),
      s.cause !== undefined ? String(s.cause) : '',
      cdr.tan ?? '',
      cdr.node ?? '',
      cdr.pbx,
    ]);
  }
  return rows.map((row) => row.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(',')).join('\r\n') + '\r\n';
}

function endpoint(prefix: 'ep1' | 'ep2', party: CdrParty | undefined): [string, string][] {
  return [
    [`${prefix}_number`, party?.e164 ?? ''],
    [`${prefix}_name`, party?.h323 ?? ''],
    [`${prefix}_dn`, party?.dn ?? ''],
  ];
}

/** `YYYY-MM-DD HH:MM:SS` of Unix-style local seconds. */
function formatLocal(localSeconds: number): string {
  return new Date(localSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** `m:ss` as the report shows durations (minutes unbounded). */
export function formatDuration(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
