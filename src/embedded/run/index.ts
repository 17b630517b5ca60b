export { AcceleratedClock, ManualClock } from './clock.js';
export type { AcceleratedClockOptions } from './clock.js';
export { playCalls } from './runner.js';
export type { CaptureTask, PlayFailure, PlayOptions, PlayResult } from './runner.js';
export { AdminServer } from './admin.js';
export type { AdminServerOptions, AdminStatusSource } from './admin.js';
export { DEFAULT_PBX_PASSWORD, DEFAULT_PBX_USERNAME, EmbeddedPbx, summariseCall } from './pbx.js';
export type { EmbeddedPbxEndpoints, EmbeddedPbxOptions, EmbeddedPbxPorts } from './pbx.js';
