// The recorder's side of the PBX: CDR format and parser (reporting), SOAP and reporting clients.
export { CDR_EVENT_MSGS, CdrParseError, cdrDirection, cdrSummary, cdrToXml, parseCdrXml, parseDocument } from './cdr.js';
export type { Cdr, CdrDir, CdrEvent, CdrEventMsg, CdrGroup, CdrParty, CdrSummary, KnownCdrEventMsg } from './cdr.js';
export { XmlSyntaxError, escapeXml, parseXml, xmlAttributes } from './xml.js';
export type { XmlElement } from './xml.js';
