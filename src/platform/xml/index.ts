export { MAX_XML_DEPTH, XmlSyntaxError, cdata, elementToXml, escapeAttribute, escapeText, escapeXml, isXmlSafe, parseXml, xmlAttributes } from './xml.js';
export type { XmlElement } from './xml.js';
