// SIP (RFC 3261) and SDP (RFC 8866) as a recorder reads them from a capture: messages, offer/answer,
// and per Call-ID the parties and the media endpoints with their payload-type maps.
export { parseSip, parseNameAddr, parseUri, canonicalHeaderName, headerValue, headerValues, sdpBodyOf } from './message.js';
export type { NameAddr, SipMessage, SipRequest, SipResponse } from './message.js';
export { parseSdp, mediaAddress, fmtpParameters } from './sdp.js';
export type { SdpConnection, SdpDirection, SdpMedia, SdpOrigin, SdpRtcp, SdpRtpMap, SdpSession } from './sdp.js';
export { canonicalAddress, isUnspecifiedAddress } from './address.js';
export { SipDialogTracker } from './dialog-tracker.js';
export { SipTcpFramer } from './tcp-framer.js';
export type { SipTcpSegment } from './tcp-framer.js';
export type { CodecMapping, MediaEndpoint, MediaInfo, SipCall, SipCallState, SipDatagramMeta, SipDialogTrackerOptions, SipEndpoint, SipInfoDigit, SipParty, SipRole } from './dialog-tracker.js';
