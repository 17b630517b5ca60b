// Stored recordings: `Recordings` owns them (files, index, backup, change feed); names, sidecars and the parts it is made of.
export { RecordingNameError, SidecarError, StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { NO_TAN, RECORDING_EXTENSIONS, callIdField, decodeNameField, encodeNameField, isRecordingName, isValidTan, monthFolderOf, parseRecordingName, recordingBaseName, recordingFileName, withTan } from './naming.js';
export type { ParsedRecordingName, RecordingNameFields } from './naming.js';
export { SIDECAR_VERSION, decodeSidecar, encodeSidecar, readSidecarFile, sidecarFromXml, sidecarToXml } from './sidecar.js';
export type { RecordingMeta, RecordingSidecar, SidecarAudio } from './sidecar.js';
export { RecordingStore } from './store.js';
export { QUARANTINE_DIR, Quarantine } from './quarantine.js';
export type { QuarantineEntry } from './quarantine.js';
export type { BackupOutcome, FileInput, FiledRecording, IntegrityState, RecordingStoreOptions, RecoveryReport, RetentionResult, StoredRecording } from './store.js';
export { INDEX_SCHEMA_VERSION, RecordingIndex, TOTAL_COUNT_CAP, recordingRow, wildcardToLike } from './index-db.js';
export type { IndexedRecording, RecordingFilter, RecordingRow, ReindexResult, SearchResult } from './index-db.js';
export { Recordings } from './recordings.js';
export type { RecordingsOptions, SweepOptions, SweepResult } from './recordings.js';
export { openRecordings, recordingsOptions } from './from-config.js';
export { ChangeFeed } from './change-feed.js';
export type { ChangeFeedOptions, RecordingChange, RecordingChangeInput } from './change-feed.js';
