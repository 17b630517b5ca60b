import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ReportParseError, legFromReportRecord, parseCallRecords, parseReportXml, reportXml } from '../../../src/recorder/pbx/index.js';
import type { ReportRecord } from '../../../src/recorder/pbx/index.js';

const REFERENCE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/reference/Reference10_Concept_Reporting.txt');

/** The sample record printed under "Report XML and CSV" in the Reporting reference, with its "...." placeholders left out. */
function referenceSample(): string | undefined {
  if (!existsSync(REFERENCE)) return undefined;
  const text = readFileSync(REFERENCE, 'utf8');
  const section = text.slice(text.indexOf('===Report XML and CSV==='));
  const start = section.indexOf('<code type="xml">');
  const end = section.indexOf('</code>', start);
  return section
    .slice(start + '<code type="xml">'.length, end)
    .split('\n')
    .filter((line) => line.trim() !== '....')
    .join('\n');
}

describe('Report XML: the reference sample record', () => {
  const sample = referenceSample();
  it.skipIf(sample === undefined)('parses to the call it describes: conference 870998fe…, Saturn 101 → 102, outgoing, connected', () => {
    const [record, ...rest] = parseReportXml(sample!, 'Reference10_Concept_Reporting.txt');
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      utc: 1301303966,
      localTime: 1301303966,
      obj: 'Saturn',
      conf: '870998fee909d311b2ec009033105dc9',
      call: 'int',
      dir: 'o',
      status: 'co',
      type: '',
      alertSeconds: 0,
      callSeconds: 2,
      billingSeconds: 2,
      connSeconds: 2,
      groups: ['test', 'test2'],
      node: 'root',
      pbx: '.',
      remote: { number: '102', name: 'uranus', dn: 'Uranus' },
      callback: { number: '456', name: 'abc', dn: '123', time: 1301305962 },
    });
    expect(record!.cause).toBeUndefined();
    expect(record!.flow).toEqual([
      { caller: 'ep1', ep1: { number: '101', name: 'saturn', dn: 'Saturn' }, ep2: { number: '102', name: 'uranus', dn: 'Uranus' }, status: 'co', entry: true, type: '' },
    ]);
    const leg = legFromReportRecord(record!);
    expect(leg).toMatchObject({ conf: '870998fee909d311b2ec009033105dc9', cn: 'Saturn', e164: '101', h323: 'saturn', dir: 'from', utc: 1301303966 });
    expect(leg.events.map((e) => [e.msg, e.time, e.party?.e164])).toEqual([
      ['setup-from', 0, '102'],
      ['alert-to', 0, '102'],
      ['conn-to', 0, '102'],
      ['rel-from', 2, '102'],
    ]);
    expect(leg.events.every((e) => e.party === undefined || !e.party.external)).toBe(true);
  });
  if (sample === undefined) it('reference text absent', () => console.log(`skipped: ${REFERENCE} is not here`));
});

describe('Report XML reader', () => {
  const record: ReportRecord = {
    localTime: 1715522460 + 7200,
    utc: 1715522460,
    obj: 'Agent Smith & Sons',
    conf: '0123456789abcdef0123456789abcdef',
    call: 'ext',
    alertSeconds: 3,
    callSeconds: 40,
    billingSeconds: 0,
    connSeconds: 37,
    flow: [{ caller: 'ep1', ep1: { number: '0301234567', name: '', dn: '' }, ep2: { number: '24', name: 'u24', dn: 'Agent Smith & Sons' }, status: 'co', entry: true, type: '' }],
    groups: ['Recording', 'Sales <EU>'],
    node: 'root',
    pbx: 'master',
    cause: 16,
    dir: 'i',
    status: 'co',
    type: '',
    remote: { number: '0301234567', name: '', dn: '' },
  };

  it('reads what it writes', () => {
    const [read] = parseReportXml(reportXml([record]), 'round trip');
    const { source, ...rest } = read!;
    expect(rest).toEqual(record);
    expect(source).toContain('<obj>Agent Smith &amp; Sons</obj>');
  });

  it('ignores elements and attributes it does not know (later Reporting versions add columns)', () => {
    const xml = reportXml([record]).replace('<obj>', '<further-registration>1</further-registration><obj>').replace('entry="true"', 'entry="true" ep3_number="9"');
    const [read] = parseReportXml(xml, 'extended');
    expect(read!.obj).toBe(record.obj);
    expect(read!.flow[0]!.entry).toBe(true);
  });

  it('an external caller is the party with a number and no object name in an ext call', () => {
    const leg = legFromReportRecord(record);
    expect(leg.events[0]).toMatchObject({ msg: 'setup-to', party: { e164: '0301234567', external: true } });
    expect(leg.events.find((e) => e.msg === 'conn-from')!.time).toBe(3);
  });

  const broken = (xml: string): ReportParseError => {
    try {
      parseReportXml(xml, 'report.php?confid=x');
    } catch (error) {
      expect(error).toBeInstanceOf(ReportParseError);
      return error as ReportParseError;
    }
    throw new Error('no error');
  };

  it('a record without what every record has is a typed error naming the record, its conference and the reason', () => {
    const good = reportXml([record]);
    const noUtc = broken(good.replace(' utc="1715522460"', ''));
    expect(noUtc.message).toBe('report.php?confid=x: report/record[1]/time (conference 0123456789abcdef0123456789abcdef): attribute utc must be Unix seconds, got null');
    expect(broken(good.replace(/<id>[^<]*<\/id>/, '')).message).toContain('report/record[1]: no <id> (conference id)');
    expect(broken(good.replace(/<id>[^<]*<\/id>/, '<id>not-hex</id>')).message).toContain('conference id must be hex digits');
    expect(broken(good.replace('<dir>i</dir>', '<dir>x</dir>')).conf).toBe(record.conf);
    expect(broken(good.replace('status="co" entry', 'status="maybe" entry')).element).toBe('report/record[1]/flow/ev[1]');
    expect(broken('').reason).toBe('empty document');
    expect(broken(good.slice(0, good.length / 2)).reason).toMatch(/malformed XML: .*truncated/);
    expect(broken('<cdr/>').reason).toContain('a Report XML document is a <report>');
    expect(broken('<!DOCTYPE r [<!ENTITY a "aaaa">]><report/>').reason).toMatch(/DOCTYPE/);
  });

  it('an empty report is no record, not an error', () => {
    expect(parseReportXml('<?xml version="1.0" encoding="utf-8"?>\n<report>\n</report>\n', 'empty')).toEqual([]);
    expect(parseCallRecords('<report/>', 'empty')).toEqual({ format: 'report-xml', legs: [] });
  });
});
