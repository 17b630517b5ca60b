// The recorder's side of the PBX: CDR format and parser (reporting), SOAP and reporting clients.
export { CDR_EVENT_MSGS, CdrParseError, cdrDirection, cdrSummary, cdrToXml, parseCdrXml, parseDocument } from './cdr.js';
export { ReportParseError, formatReportDuration, formatReportTime, parseReportXml, readReportElement, reportRecordXml, reportXml } from './report-xml.js';
export type { ReportCallType, ReportFlowEvent, ReportParty, ReportRecord, ReportStatus } from './report-xml.js';
export { legFromReportRecord } from './report-legs.js';
export { parseCallRecords, parseStoredRecord } from './call-records.js';
export type { CallRecordsFormat } from './call-records.js';
export type { Cdr, CdrDir, CdrEvent, CdrEventMsg, CdrGroup, CdrParty, CdrSummary, KnownCdrEventMsg } from './cdr.js';
export { XmlSyntaxError, elementToXml, escapeXml, parseXml, xmlAttributes } from '../../platform/xml/index.js';
export type { XmlElement } from '../../platform/xml/index.js';
export { AnswerEncodingError, AnswerTooLargeError, MAX_REPORTING_ANSWER_BYTES, MAX_SOAP_ANSWER_BYTES, decodeXmlBytes } from './answer-limit.js';
export { ReportingAnswerTooLargeError, ReportingClient, ReportingUnavailableError } from './reporting-client.js';
export type { ReportingClientOptions } from './reporting-client.js';
export { PbxLink } from './soap-link.js';
export type { CallEndInfo, CallLegInfo, PbxLinkEvents, PbxLinkOptions, PbxLinkStatus, PbxUserObject } from './soap-link.js';
export { WSDL_VERSION, pbx10Wsdl, pbxWsdlTemplate, soapEncodingXsd, withoutSchemaImport } from './pbx10-wsdl.js';
