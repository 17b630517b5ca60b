/**
 * One reader for the two documented forms a call's records come in: Report
 * XML (Reporting's remote interface, `<report>`) and CDR-XML (what a PBX
 * posts to a CDR interface, `<cdr>`, or several under one root in a file).
 * Both become call legs the rules read.
 */
import { CdrParseError, parseCdrXml, parseDocument } from './cdr.js';
import type { Cdr } from './cdr.js';
import { legFromReportRecord } from './report-legs.js';
import { ReportParseError, readReportElement } from './report-xml.js';

export type CallRecordsFormat = 'report-xml' | 'cdr-xml';

/**
 * The call legs in a Report XML or CDR-XML document. Throws
 * ReportParseError or CdrParseError (both name the source, the element, the
 * conference id when readable, and the reason).
 */
export function parseCallRecords(xml: string, source: string): { format: CallRecordsFormat; legs: Cdr[] } {
  const root = parseDocument(xml, source);
  if (root.name === 'report') return { format: 'report-xml', legs: readReportElement(root, source).map(legFromReportRecord) };
  return { format: 'cdr-xml', legs: parseCdrXml(xml, source) };
}

export { CdrParseError, ReportParseError };

/** The legs of one stored record: a `<cdr>` or a Report XML `<record>` kept with a recording. */
export function parseStoredRecord(fragment: string, source: string): Cdr[] {
  const root = parseDocument(fragment, source);
  if (root.name === 'record') return readReportElement({ name: 'report', attributes: new Map(), children: [root], text: '' }, source).map(legFromReportRecord);
  return parseCallRecords(fragment, source).legs;
}
