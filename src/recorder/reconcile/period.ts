// Reconcile a period as a configuration sees it: the reporting's calls (report.php's period report), the store's
// index, the service's audit trail (outcomes, retention deletions), the player's trail (users' deletions) and the
// caller's knowledge of what the service is still working on (its journal).
import { dirname, join } from 'node:path';
import type { RecorderConfig } from '../../platform/config/index.js';
import { readAuditEntries } from '../../platform/audit/index.js';
import { RecordingIndex } from '../../recordings/index.js';
import { ReportingClient } from '../pbx/index.js';
import { readCallOutcomes } from './outcomes.js';
import { reconcileCalls } from './reconcile.js';
import type { ReconcileReport } from './reconcile.js';

/** A period that cannot be reconciled as asked (no PBX name, the index not built): names the setting or option. */
export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
}

export interface ReconcilePeriodOptions {
  readonly from: Date;
  readonly to: Date;
  /** The PBX's name in the reporting (default: [reporting] pbx). */
  readonly pbx?: string;
  /** Calls that ended less than this long ago are pending (ms; default 30 minutes). */
  readonly settleMs?: number;
  /** Conferences the service is still working on (unfinished journal items). */
  readonly inProgress: ReadonlySet<string>;
  /** Audit trails whose `delete` entries account for a recording's absence (default: the player's). */
  readonly userTrails?: readonly string[];
  readonly now?: number;
  readonly signal?: AbortSignal;
}

/**
 * The player's audit trail as `recorder serve` keeps it: beside its accounts, which sit beside the index (a player
 * started with its own paths says so in `userTrails`).
 */
export function defaultPlayerTrail(config: RecorderConfig): string {
  return join(dirname(config.storage.indexPath), 'player-audit.log');
}

/** Default wait before a call's absence counts: CDR retries, a thread-call window and the capture's copy fit in it. */
export const RECONCILE_SETTLE_MS = 30 * 60_000;

export async function reconcilePeriod(config: RecorderConfig, options: ReconcilePeriodOptions): Promise<ReconcileReport> {
  const pbx = options.pbx ?? config.reporting.pbx;
  if (pbx === undefined) throw new ReconcileError('reporting.pbx: not set; the reporting\'s period report needs the PBX\'s name (or give --pbx)');
  const reporting = new ReportingClient({
    url: config.reporting.url,
    ...(config.reporting.standbyUrl ? { standbyUrl: config.reporting.standbyUrl } : {}),
    username: config.reporting.username,
    password: config.reporting.password,
    timeoutMs: 60_000,
  });
  const legs = await reporting.cdrsForPeriod(options.from, options.to, pbx, options.signal);

  const deletions = new Map<string, string>();
  for (const entry of (await readAuditEntries(config.storage.auditPath, { action: 'retention-delete' })).entries) {
    if (entry.recording !== undefined) deletions.set(entry.recording, `deleted by retention (${String(entry.detail.policy ?? '')}) at ${entry.at}`);
  }
  for (const trail of options.userTrails ?? [defaultPlayerTrail(config)]) {
    for (const entry of (await readAuditEntries(trail, { action: 'delete' })).entries) {
      if (entry.recording !== undefined) deletions.set(entry.recording, `deleted by ${entry.user} at ${entry.at}`);
    }
  }
  const outcomes = await readCallOutcomes(config.storage.auditPath);
  const index = new RecordingIndex(config.storage.indexPath);
  try {
    if (index.needsReindex) throw new ReconcileError(`${config.storage.indexPath}: the index is new or of an older version: run \`recorder reindex\` first`);
    return reconcileCalls(options.from, options.to, {
      legs,
      recordingGroup: config.pbx.group,
      ...(config.tcr ? { tcrNumber: config.tcr.number } : {}),
      recordingsOf: (conf) => index.getByConference(conf).map((row) => row.name),
      outcomes,
      deletions,
      inProgress: options.inProgress,
      settledBefore: (options.now ?? Date.now()) - (options.settleMs ?? RECONCILE_SETTLE_MS),
    });
  } finally {
    index.close();
  }
}
