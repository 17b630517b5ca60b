export { partySignal, partyToneHz, partyPhaseMs, speechEnvelope, PARTY_LEVEL_DBFS, SPEECH_CYCLE_MS, INTERNAL_TONES_HZ, EXTERNAL_TONES_HZ } from './voices.js';
export { G729FixtureError, G729_FRAME_BYTES, G729_TONES_HZ, g729ToneFrames, nearestG729Tone, partyG729Frames, partyG729ToneHz } from './g729-payloads.js';
export { CaptureSpecError, DEFAULT_GATEWAY_ADDRESS, PAYLOAD_TYPES, captureFrames, planCapture, validateCaptureSpec } from './capture-packets.js';
export type { CaptureFlowPlan, CapturePacket, CapturePlan, CaptureRenderOptions, CaptureRenderStats, CaptureSegmentPlan, CaptureVoicePlan } from './capture-packets.js';
export { CaptureWriteError, recordCapture } from './writer.js';
export type { RecordCaptureOptions, RecordedCapture } from './writer.js';
