// Completeness reconciliation: for a period, every connected call of a recorded user (a member of the recording
// group in its CDRs, as the reporting has them) is matched to its recording, or to the reason the service wrote in
// its audit trail when it did not record it. What matches neither is the finding an auditor (MiFID II: "every
// regulated user is recorded") needs to see, and raises an alarm in the service.
import type { Cdr } from '../pbx/index.js';
import { callEndUtc, externalNumber, isAgentCdr, isConnect, marksAfterCall } from '../rules/index.js';
import type { CallOutcome } from './outcomes.js';

/**
 * What became of a call:
 * - `recorded` — its recording is in the store;
 * - `not-recorded` — the service decided not to keep it (cause: rules, random, licence, tcr-unmarked);
 * - `quarantined` — its capture could not be filed and is kept aside;
 * - `deleted` — recorded, then deleted by a logged deletion (retention, a user);
 * - `no-capture` — the PBX ended it and no capture reached the drive;
 * - `pending` — too recent, or still being worked on;
 * - `missing` — recorded, and the recording is gone without a logged deletion;
 * - `unmatched` — neither a recording nor a reason.
 */
export const CALL_VERDICTS = ['recorded', 'not-recorded', 'quarantined', 'deleted', 'no-capture', 'pending', 'missing', 'unmatched'] as const;
export type CallVerdict = (typeof CALL_VERDICTS)[number];

export interface ReconciledCall {
  readonly conf: string;
  /** When the call started and ended (ISO, from the CDRs). */
  readonly start: string;
  readonly end: string;
  /** Recorded users (members of the recording group) in the call. */
  readonly agents: readonly string[];
  readonly external: string | null;
  readonly verdict: CallVerdict;
  /** A finding: no recording and no acceptable reason. */
  readonly problem: boolean;
  readonly recordings: readonly string[];
  readonly cause?: string;
  readonly reason?: string;
}

export interface ReconcileReport {
  readonly from: string;
  readonly to: string;
  /** Calls in the period the reporting listed, and how many of them concern recorded users (the rest are not shown). */
  readonly callsInReporting: number;
  readonly calls: readonly ReconciledCall[];
  readonly counts: Readonly<Record<CallVerdict, number>>;
  readonly problems: number;
}

export interface ReconcileSources {
  /** The reporting's CDRs (call legs) of the period. */
  readonly legs: readonly Cdr[];
  readonly recordingGroup: string;
  /** The thread-call object's number: calls to it are marks, not recorded calls. */
  readonly tcrNumber?: string;
  /** Recordings in the store of a conference. */
  readonly recordingsOf: (conf: string) => readonly string[];
  /** Call outcomes from the service's trail, by conference. */
  readonly outcomes: ReadonlyMap<string, readonly CallOutcome[]>;
  /** Recordings whose deletion is logged (service retention, a user's delete), with what deleted them. */
  readonly deletions: ReadonlyMap<string, string>;
  /** Conferences the service is still working on (their captures are in its journal, not finished). */
  readonly inProgress: ReadonlySet<string>;
  /** Calls that ended later than this (Unix ms) are pending: their outcome may not be written yet. */
  readonly settledBefore: number;
}


/** Match the period's calls of recorded users to recordings and reasons. */
export function reconcileCalls(from: Date, to: Date, sources: ReconcileSources): ReconcileReport {
  const byConf = new Map<string, Cdr[]>();
  for (const leg of sources.legs) {
    if (leg.conf === '') continue;
    const legs = byConf.get(leg.conf) ?? [];
    legs.push(leg);
    byConf.set(leg.conf, legs);
  }
  const calls: ReconciledCall[] = [];
  for (const [conf, legs] of byConf) {
    // A recorded user's leg that was connected: an unanswered call has no media and so no capture.
    const agentLegs = legs.filter((leg) => isAgentCdr(leg, sources.recordingGroup) && leg.events.some(isConnect) && leg.e164 !== '');
    if (agentLegs.length === 0) continue;
    // Calls to the thread-call object mark other calls; they are never recorded themselves.
    if (sources.tcrNumber !== undefined && marksAfterCall(legs, sources.tcrNumber).length > 0) continue;
    const startUtc = Math.min(...legs.map((leg) => leg.utc));
    const endUtc = Math.max(callEndUtc(legs), startUtc);
    const base = {
      conf,
      start: new Date(startUtc * 1000).toISOString(),
      end: new Date(endUtc * 1000).toISOString(),
      agents: [...new Set(agentLegs.map((leg) => leg.e164))].sort(),
      external: externalNumber(legs),
    };
    // An agent who talked to the outside party must have a capture; one only in an internal part of the call need not.
    const talkedOutside = agentLegs.some((leg) => leg.events.some((event) => isConnect(event) && event.party?.external === true));
    calls.push({ ...base, ...verdictOf(conf, endUtc * 1000, talkedOutside ? base.external : null, sources) });
  }
  calls.sort((a, b) => a.start.localeCompare(b.start) || a.conf.localeCompare(b.conf));
  const counts = Object.fromEntries(CALL_VERDICTS.map((verdict) => [verdict, 0])) as Record<CallVerdict, number>;
  for (const call of calls) counts[call.verdict]++;
  return { from: from.toISOString(), to: to.toISOString(), callsInReporting: byConf.size, calls, counts, problems: calls.filter((call) => call.problem).length };
}

type Verdict = Pick<ReconciledCall, 'verdict' | 'problem' | 'recordings' | 'cause' | 'reason'>;

function verdictOf(conf: string, endMs: number, external: string | null, sources: ReconcileSources): Verdict {
  const present = sources.recordingsOf(conf);
  if (present.length > 0) return { verdict: 'recorded', problem: false, recordings: present };
  const outcomes = sources.outcomes.get(conf) ?? [];
  const recorded = [...new Set(outcomes.filter((o) => o.action === 'call-recorded' && o.recording !== undefined).map((o) => o.recording!))];
  if (recorded.length > 0) {
    const unlogged = recorded.filter((name) => !sources.deletions.has(name));
    if (unlogged.length > 0) return { verdict: 'missing', problem: true, recordings: recorded, reason: `recorded as ${unlogged.join(', ')}, which is no longer in the store and whose deletion is not in the audit trail` };
    return { verdict: 'deleted', problem: false, recordings: recorded, reason: recorded.map((name) => `${name}: ${sources.deletions.get(name)}`).join('; ') };
  }
  if (sources.inProgress.has(conf)) return { verdict: 'pending', problem: false, recordings: [], reason: 'its capture is still being worked on' };
  // The latest outcome wins (a capture quarantined, then filed by an operator, is the later entry).
  const latest = [...outcomes].sort((a, b) => b.seq - a.seq).find((o) => o.action !== 'call-without-capture');
  if (latest?.action === 'call-not-recorded') return { verdict: 'not-recorded', problem: false, recordings: [], ...(latest.cause !== undefined ? { cause: latest.cause } : {}), ...(latest.reason !== undefined ? { reason: latest.reason } : {}) };
  if (latest?.action === 'capture-quarantined') return { verdict: 'quarantined', problem: false, recordings: [], ...(latest.reason !== undefined ? { reason: latest.reason } : {}) };
  if (outcomes.some((o) => o.action === 'call-without-capture')) {
    // An internal call (or an agent's internal part of one) need not pass a recording gateway; a recorded user's
    // talk with the outside party must have a capture.
    return external !== null
      ? { verdict: 'no-capture', problem: true, recordings: [], reason: `a recorded user talked with ${external}: the PBX ended the call and no capture reached the drive` }
      : { verdict: 'no-capture', problem: false, recordings: [], reason: 'no talk with the outside party: no capture reached the drive (internal calls need not pass a recording gateway)' };
  }
  if (endMs > sources.settledBefore) return { verdict: 'pending', problem: false, recordings: [], reason: 'ended too recently to judge' };
  return { verdict: 'unmatched', problem: true, recordings: [], reason: 'no recording, and no reason in the service\'s audit trail' };
}
