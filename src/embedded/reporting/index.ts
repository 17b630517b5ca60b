// The embedded reporting server: CDRs for planned calls and the report.php remote interface.
// The CDR format and its parser live in src/recorder/pbx (the recorder reads what this writes).
export { cdrXmlFor, cdrsFor, pbxUptime } from './cdr.js';
export type { CdrOptions } from './cdr.js';
export { CdrPoster } from './cdr-poster.js';
export type { CdrInterfaceTarget, CdrPosterOptions } from './cdr-poster.js';
export { REPORT_CSV_COLUMNS, ReportQueryError, formatDuration, likePattern, parseReportQuery, renderReport, reportCsv, reportRecordOf, reportXml, selectCdrs } from './report.js';
export type { ReportFormat, ReportQuery, ReportSortBy } from './report.js';
export { REPORT_PATH, ReportingService } from './service.js';
export type { ReportingServiceOptions } from './service.js';
