// Retention policies: how long a recording is kept, by who recorded it (the agent's number, with wildcards), the
// direction and whether it carries a TAN — e.g. five years for the traders' calls, 90 days for the support desk's.
// The first policy that matches a recording is its policy; a recording no policy matches keeps the default
// (storage.retentionMonths), and without a default it is kept. All is read from the recording's name, so the
// store applies it to the files themselves (the files are the truth), not only to the index.
import { instantOf, localDateTime } from '../platform/util/index.js';
import type { LocalDateTime, TimeZoneSetting } from '../platform/util/index.js';
import type { ParsedRecordingName } from './naming.js';
import { NO_TAN } from './naming.js';

export interface RetentionPolicy {
  readonly name: string;
  /** Kept this many months, or days (exactly one of them). */
  readonly months?: number;
  readonly days?: number;
  /** Agents' numbers it applies to: exact, `*` any digits, `?` one (none given: every agent). */
  readonly agents?: readonly string[];
  readonly direction?: 'in' | 'out';
  /** Only recordings with a TAN (true) or only those without (false). */
  readonly withTan?: boolean;
  /** Kept by law for its period: an erasure request is refused until it is over. */
  readonly mandatory?: boolean;
}

export interface RetentionPlan {
  readonly policies: readonly RetentionPolicy[];
  /** Months for recordings no policy matches (absent: those are kept). */
  readonly defaultMonths?: number;
  /** The id of a legal hold covering a recording, which is then kept whatever its policy says. */
  readonly heldBy?: (recording: ParsedRecordingName) => string | undefined;
}

/** The policy name used for recordings that match no policy and fall to storage.retentionMonths. */
export const DEFAULT_POLICY = 'default';

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** A wall-clock time `months` calendar months later (earlier when negative), the day kept within the month. */
function addMonths(local: LocalDateTime, months: number): LocalDateTime {
  const index = local.year * 12 + (local.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { ...local, year, month, day: Math.min(local.day, lastDay) };
}

/** Whether a policy applies to a recording (agents' patterns, direction, TAN). */
function matcher(policy: RetentionPolicy): (recording: ParsedRecordingName) => boolean {
  const agents = policy.agents?.map(wildcard);
  return (r) =>
    (agents === undefined || agents.some((re) => re.test(r.internal))) &&
    (policy.direction === undefined || policy.direction === r.direction) &&
    (policy.withTan === undefined || policy.withTan === (r.tan !== undefined && r.tan !== NO_TAN));
}

/** A plan's policies compiled against a moment: each with its cutoff (recordings that started before it expire). */
export class RetentionCutoffs {
  readonly #rules: Array<{ name: string; cutoff: LocalDateTime; mandatory: boolean; matches: (r: ParsedRecordingName) => boolean }> = [];
  readonly #default: LocalDateTime | undefined;

  constructor(
    readonly plan: RetentionPlan,
    now: Date,
    zone: TimeZoneSetting,
  ) {
    const today = localDateTime(now, zone);
    const monthsBack = (months: number): LocalDateTime => addMonths(today, -months);
    const daysBack = (days: number): LocalDateTime => localDateTime(new Date(instantOf(today, zone).getTime() - days * 86_400_000), zone);
    for (const policy of plan.policies) {
      this.#rules.push({
        name: policy.name,
        mandatory: policy.mandatory === true,
        cutoff: policy.days !== undefined ? daysBack(policy.days) : monthsBack(policy.months ?? 0),
        matches: matcher(policy),
      });
    }
    this.#default = plan.defaultMonths !== undefined ? monthsBack(plan.defaultMonths) : undefined;
  }

  /** The policy a recording falls under and its cutoff; undefined when no policy and no default applies (kept). */
  policyOf(recording: ParsedRecordingName): { name: string; cutoff: LocalDateTime; mandatory?: boolean } | undefined {
    const rule = this.#rules.find((candidate) => candidate.matches(recording));
    if (rule) return { name: rule.name, cutoff: rule.cutoff, ...(rule.mandatory ? { mandatory: true } : {}) };
    return this.#default !== undefined ? { name: DEFAULT_POLICY, cutoff: this.#default } : undefined;
  }

  /** What becomes of a recording now: kept (not expired), held (expired, under a hold), or expired under a policy. */
  verdict(recording: ParsedRecordingName): { expired: false } | { expired: true; policy: string; heldBy?: string } {
    const policy = this.policyOf(recording);
    if (!policy || compareLocal(recording.local, policy.cutoff) >= 0) return { expired: false };
    const hold = this.plan.heldBy?.(recording);
    return hold !== undefined ? { expired: true, policy: policy.name, heldBy: hold } : { expired: true, policy: policy.name };
  }

  /** The latest cutoff's month folder (YYYY_MM): no recording in a later folder can have expired. */
  get lastMonth(): string | undefined {
    const all = [...this.#rules.map((rule) => rule.cutoff), ...(this.#default ? [this.#default] : [])];
    if (all.length === 0) return undefined;
    const latest = all.reduce((a, b) => (compareLocal(a, b) >= 0 ? a : b));
    return `${String(latest.year).padStart(4, '0')}_${String(latest.month).padStart(2, '0')}`;
  }
}

/**
 * When a recording's retention ends under a plan: its start (the name's wall clock in `zone`) plus its policy's
 * months (calendar) or days; undefined when no policy and no default applies (kept for ever).
 */
export function retentionEnd(recording: ParsedRecordingName, plan: Omit<RetentionPlan, 'heldBy'>, zone: TimeZoneSetting): Date | undefined {
  const policy = plan.policies.find((candidate) => matcher(candidate)(recording));
  const months = policy ? policy.months : plan.defaultMonths;
  const days = policy?.days;
  if (days !== undefined) return new Date(instantOf(recording.local, zone).getTime() + days * 86_400_000);
  if (months === undefined) return undefined;
  return instantOf(addMonths(recording.local, months), zone);
}

export function compareLocal(a: LocalDateTime, b: LocalDateTime): number {
  return a.year - b.year || a.month - b.month || a.day - b.day || a.hour - b.hour || a.minute - b.minute;
}
