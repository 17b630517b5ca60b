export { encodeRtpPacket, encodeTelephoneEvent } from './rtp-packet.js';
export type { RtpPacketFields } from './rtp-packet.js';
export { buildLeg, mergeLegs, toneSignal } from './synthetic-leg.js';
export type { BuiltLeg, LegEndpoint, LegImpairments, LegSpec } from './synthetic-leg.js';
