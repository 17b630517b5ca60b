export { AUDIT_GENESIS, AuditTrail, auditLineHash, readAuditEntries, trailOffsetAt, verifyAuditTrail } from './audit-trail.js';
export type { AuditEntry, AuditProblem, AuditProblemKind, AuditQuery, AuditTrailOptions, AuditVerification } from './audit-trail.js';
