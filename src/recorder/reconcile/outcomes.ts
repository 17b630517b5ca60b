// The call outcomes the service writes to its audit trail (src/recorder/service/service-audit.ts), as reconciliation
// reads them back: the actions, the causes of a call not recorded, and the reader.
import { readAuditEntries } from '../../platform/audit/index.js';
import type { AuditEntry } from '../../platform/audit/index.js';

/** Why a call with a capture was not recorded. */
export const NOT_RECORDED_CAUSES = ['rules', 'random', 'licence', 'tcr-unmarked'] as const;
export type NotRecordedCause = (typeof NOT_RECORDED_CAUSES)[number];

export function isNotRecordedCause(value: string): value is NotRecordedCause {
  return (NOT_RECORDED_CAUSES as readonly string[]).includes(value);
}

/** The trail's actions that tell a call's outcome. */
export const CALL_OUTCOME_ACTIONS = ['call-recorded', 'call-not-recorded', 'capture-quarantined', 'call-without-capture'] as const;
export type CallOutcomeAction = (typeof CALL_OUTCOME_ACTIONS)[number];

/** One call's outcome as the trail tells it. */
export interface CallOutcome {
  readonly action: CallOutcomeAction;
  readonly conf: string;
  readonly at: string;
  readonly seq: number;
  readonly capture?: string;
  readonly recording?: string;
  readonly cause?: string;
  readonly reason?: string;
}

/** What reconciliation reads from the service's trail, in one pass over it. */
export interface ServiceTrailReading {
  /** Call outcomes by conference id (a conference's several captures each have one). */
  readonly outcomes: Map<string, CallOutcome[]>;
  /** Recordings whose deletion the trail logs (retention, erasures from the command line), with what deleted them. */
  readonly deletions: Map<string, string>;
}

/** A logged deletion of a recording (by retention, a user's delete, an erasure), said as reconciliation reports it. */
export function deletionOf(entry: AuditEntry): string | undefined {
  if (entry.recording === undefined) return undefined;
  if (entry.action === 'retention-delete') return `deleted by retention (${String(entry.detail.policy ?? '')}) at ${entry.at}`;
  if (entry.action === 'delete') return `deleted by ${entry.user} at ${entry.at}`;
  if (entry.action === 'erase') return `erased by ${entry.user} at ${entry.at}: ${String(entry.detail.reason ?? '')}`;
  return undefined;
}

/**
 * The outcomes and deletions the trail logs from `since` on (an ISO time; the whole trail without it). A period's
 * calls end, and are decided and deleted, after the period starts, so reconciliation reads from there: a trail
 * kept for years is not read from its start each hour.
 */
export async function readServiceTrail(path: string, since?: string): Promise<ServiceTrailReading> {
  const outcomes = new Map<string, CallOutcome[]>();
  const deletions = new Map<string, string>();
  const { entries } = await readAuditEntries(path, since !== undefined ? { from: since } : {});
  for (const entry of entries) {
    const deletion = deletionOf(entry);
    if (deletion !== undefined) deletions.set(entry.recording!, deletion);
    if (!(CALL_OUTCOME_ACTIONS as readonly string[]).includes(entry.action)) continue;
    const conf = entry.detail.conf;
    if (typeof conf !== 'string') continue;
    const text = (name: string): string | undefined => (typeof entry.detail[name] === 'string' ? (entry.detail[name] as string) : undefined);
    const outcome: CallOutcome = {
      action: entry.action as CallOutcomeAction,
      conf,
      at: entry.at,
      seq: entry.seq,
      ...(text('capture') !== undefined ? { capture: text('capture')! } : {}),
      ...(text('recording') !== undefined ? { recording: text('recording')! } : {}),
      ...(text('cause') !== undefined ? { cause: text('cause')! } : {}),
      ...(text('reason') !== undefined ? { reason: text('reason')! } : {}),
    };
    const list = outcomes.get(conf) ?? [];
    list.push(outcome);
    outcomes.set(conf, list);
  }
  return { outcomes, deletions };
}
