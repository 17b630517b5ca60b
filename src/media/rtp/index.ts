// RTP media: packet headers (RFC 3550), RTCP demultiplexing (RFC 5761), telephone events (RFC 4733),
// comfort noise (RFC 3389), the static payload types (RFC 3551) and RTP detection without SDP.
export type { RtpPacket, TelephoneEvent } from './types.js';
export { parseRtp, isRtcp, headerExtensionElements } from './packet.js';
export type { HeaderExtensionElement } from './packet.js';
export { parseTelephoneEvent, parseTelephoneEvents, dtmfDigit, DtmfCollector } from './telephone-event.js';
export type { DtmfDigit, DtmfPress } from './telephone-event.js';
export { parseComfortNoise } from './comfort-noise.js';
export type { ComfortNoise } from './comfort-noise.js';
export { staticPayloadTypes, isDynamicPayloadType, audioSampleRate } from './payload-types.js';
export type { StaticPayloadType } from './payload-types.js';
export { RtpFlowDetector } from './flow-detector.js';
export type { RtpFlowDetectorOptions, RtpFlowSample, RtpFlowVerdict } from './flow-detector.js';
