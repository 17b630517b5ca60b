// The recorder's rules engine: which Agent a capture is filed under, from its file name and its conference's CDRs.
export { confIdOfCapture, parseCaptureName, recordedByOfCallId, recordingCallIdOf } from './capture-name.js';
export type { CaptureName } from './capture-name.js';
export { DEFAULT_RECORDING_GROUP, externalNumber, isAgentCdr, isConnect } from './call-facts.js';
export { decideRecording, tanIn } from './decide.js';
export type { RecordingDecision, RecordingInput } from './decide.js';
export { CaptureNameError, CdrConfMismatchError, DeviceUnknownError, NoCdrError } from './errors.js';
export { ENGINE_RULES } from './rule-name.js';
export { callEndUtc, markedDuringCall, marksAfterCall } from './thread-call.js';
export type { ThreadCallMark } from './thread-call.js';
