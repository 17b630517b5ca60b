// The player's routes, one plugin per concern.
export { audioRoutes, MAX_EXPORT } from './audio.js';
export { MAX_AUDIT_EXPORT, MAX_AUDIT_PAGE, auditRoutes } from './audit.js';
export { PLAYER_NAME, eventRoutes, isLoopback } from './events.js';
export { holdRoutes } from './holds.js';
export { approvalRoutes, checkApproval } from './approvals.js';
export { MAX_NOTES_CHARS, recordingRoutes } from './recording.js';
export { MAX_PAGE, scopedSearch, searchRoutes } from './search.js';
export { sessionRoutes } from './session.js';
export { statusRoutes } from './status.js';
