export { RtpStream } from './rtp-stream.js';
export type { DtmfEvent, Endpoint, PayloadKind, RtpStreamOptions, RtpStreamStats, SsrcCounts } from './rtp-stream.js';
export { RtpDemuxer } from './demux.js';
export type { DemuxOptions } from './demux.js';
export { groupCalls, streamsOf } from './calls.js';
export type { Call, ChannelPolicy, ChannelRule, RecordingDevice } from './calls.js';
export { renderCall, callSpan, strayStreams, RenderError } from './render-call.js';
export type { RenderOptions, RenderedRecording } from './render-call.js';
export type { MediaOwner, PartyInfo, PayloadMapping, SignallingDirectory } from './signalling.js';
