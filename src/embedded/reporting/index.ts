export {
  CDR_EVENT_MSGS,
  CdrParseError,
  cdrDirection,
  cdrSummary,
  cdrToXml,
  cdrXmlFor,
  cdrsFor,
  parseCdrXml,
} from './cdr.js';
export type { Cdr, CdrDir, CdrEvent, CdrEventMsg, CdrGroup, CdrOptions, CdrParty, CdrSummary, KnownCdrEventMsg } from './cdr.js';
export {
  REPORT_CSV_COLUMNS,
  ReportQueryError,
  formatDuration,
  likePattern,
  parseReportQuery,
  renderReport,
  reportCsv,
  reportXml,
  selectCdrs,
} from './report.js';
export type { ReportFormat, ReportQuery, ReportSortBy } from './report.js';
export { REPORT_PATH, ReportingService } from './service.js';
export type { ReportingServiceOptions } from './service.js';
export { XmlSyntaxError, parseXml } from './xml.js';
export type { XmlElement } from './xml.js';
