// Completeness reconciliation: the reporting's calls of recorded users against recordings and logged reasons.
export { CALL_VERDICTS, reconcileCalls } from './reconcile.js';
export type { CallVerdict, ReconcileReport, ReconcileSources, ReconciledCall } from './reconcile.js';
export { RECONCILE_SETTLE_MS, ReconcileError, defaultPlayerTrail, parsePeriodTime, reconcilePeriod } from './period.js';
export type { ReconcilePeriodOptions } from './period.js';
export { CALL_OUTCOME_ACTIONS, NOT_RECORDED_CAUSES, deletionOf, isNotRecordedCause, readServiceTrail } from './outcomes.js';
export type { CallOutcome, CallOutcomeAction, NotRecordedCause, ServiceTrailReading } from './outcomes.js';
