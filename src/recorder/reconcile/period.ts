// Reconcile a period as a configuration sees it: the reporting's calls (report.php's period report), the store's
// index, the service's audit trail (outcomes, retention deletions), the player's trail (users' deletions) and the
// caller's knowledge of what the service is still working on (its journal).
import { dirname, join } from 'node:path';
import type { RecorderConfig } from '../../platform/config/index.js';
import { instantOf, isRealLocalDateTime } from '../../platform/util/index.js';
import type { TimeZoneSetting } from '../../platform/util/index.js';
import { readAuditEntries } from '../../platform/audit/index.js';
import { RecordingIndex } from '../../recordings/index.js';
import { ReportingClient } from '../pbx/index.js';
import { deletionOf, readServiceTrail } from './outcomes.js';
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

/**
 * A time as an operator types it: an ISO time with a zone (`2026-12-04T10:00:00Z`), or a wall-clock date / date
 * and time in the store's time zone (`2026-12-04`, `2026-12-04 10:00`); a bare date as --to means that day's end.
 */
export function parsePeriodTime(text: string, option: string, zone: TimeZoneSetting, endOfDay: boolean): Date {
  const value = text.trim();
  const wall = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(value);
  if (wall) {
    const [, y, mo, d, h, mi] = wall;
    const local = { year: Number(y), month: Number(mo), day: Number(d), hour: h !== undefined ? Number(h) : 0, minute: mi !== undefined ? Number(mi) : 0 };
    if (!isRealLocalDateTime(local)) throw new ReconcileError(`${option}: not a valid date/time: ${JSON.stringify(text)}`);
    if (endOfDay && h === undefined) return new Date(instantOf({ ...local, hour: 23, minute: 59 }, zone).getTime() + 59_999);
    return instantOf(local, zone);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ReconcileError(`${option}: expected YYYY-MM-DD, "YYYY-MM-DD HH:MM" (the store's time zone) or an ISO time with a zone, got ${JSON.stringify(text)}`);
}

/** Default wait before a call's absence counts: CDR retries, a thread-call window and the capture's copy fit in it. */
export const RECONCILE_SETTLE_MS = 30 * 60_000;

export async function reconcilePeriod(config: RecorderConfig, options: ReconcilePeriodOptions): Promise<ReconcileReport> {
  const pbx = options.pbx ?? config.reporting.pbx;
  if (pbx === undefined) throw new ReconcileError('reporting.pbx: not set; the reporting\'s period report needs the PBX\'s name (or give --pbx)');
  const reporting = ReportingClient.of(config.reporting, { timeoutMs: 60_000 });
  const legs = await reporting.cdrsForPeriod(options.from, options.to, pbx, options.signal);

  // A call of the period is decided (and maybe deleted) after it started: the trails from the period's start on
  // (a day earlier: the PBX's clock, which dates the calls, and the recorder's, which dates the trail, may differ).
  const since = new Date(options.from.getTime() - 86_400_000).toISOString();
  const { outcomes, deletions } = await readServiceTrail(config.storage.auditPath, since);
  for (const trail of options.userTrails ?? [defaultPlayerTrail(config)]) {
    for (const entry of (await readAuditEntries(trail, { from: since })).entries) {
      const deletion = deletionOf(entry);
      if (deletion !== undefined) deletions.set(entry.recording!, deletion);
    }
  }
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
