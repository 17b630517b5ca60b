// Taking captures off the PBX's drive: WebDAV or a local/mounted directory, copied and verified before anything else.
export { DriveError, isCaptureName } from './drive.js';
export type { CaptureDrive, DownloadResult, DriveEntry, DriveErrorCode } from './drive.js';
export { WebDavDrive } from './webdav-drive.js';
export type { WebDavDriveOptions } from './webdav-drive.js';
export { LocalDrive } from './local-drive.js';
export { StandbyPairDrive } from './standby-pair.js';
export type { PbxRole, StandbyPairOptions } from './standby-pair.js';
export { Ingestor } from './ingestor.js';
export type { DriveStatus, IngestedCapture, IngestorOptions } from './ingestor.js';
