export { AUDIT_GENESIS, AuditTrail, auditLineHash, verifyAuditTrail } from './audit-trail.js';
export type { AuditProblem, AuditProblemKind, AuditTrailOptions, AuditVerification } from './audit-trail.js';
