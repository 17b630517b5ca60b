export { DRIVE_REALM, startDrive } from './server.js';
export type { DriveOptions, RunningDrive } from './server.js';
