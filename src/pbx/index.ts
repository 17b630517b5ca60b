// The recorder's side of the PBX: CDR format and parser (reporting), SOAP and reporting clients.
export { CDR_EVENT_MSGS, CdrParseError, cdrDirection, cdrSummary, cdrToXml, parseCdrXml, parseDocument } from './cdr.js';
export type { Cdr, CdrDir, CdrEvent, CdrEventMsg, CdrGroup, CdrParty, CdrSummary, KnownCdrEventMsg } from './cdr.js';
export { XmlSyntaxError, escapeXml, parseXml, xmlAttributes } from '../xml/index.js';
export type { XmlElement } from '../xml/index.js';
export { AnswerTooLargeError, MAX_REPORTING_ANSWER_BYTES, MAX_SOAP_ANSWER_BYTES } from './answer-limit.js';
export { ReportingAnswerTooLargeError, ReportingClient, ReportingUnavailableError, cdrRetrySchedule } from './reporting-client.js';
export type { ReportingClientOptions } from './reporting-client.js';
export { PbxLink } from './soap-link.js';
export type { CallEndInfo, CallLegInfo, PbxLinkEvents, PbxLinkOptions, PbxLinkStatus } from './soap-link.js';
