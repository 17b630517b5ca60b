import type { Command } from 'commander';
import { instantOf } from '../platform/util/index.js';
import type { TimeZoneSetting } from '../platform/util/index.js';
import { RECONCILE_SETTLE_MS, ReconcileError, reconcilePeriod } from '../recorder/reconcile/index.js';
import type { ReconcileReport } from '../recorder/reconcile/index.js';
import { ReportingUnavailableError } from '../recorder/pbx/index.js';
import { confIdOfCapture } from '../recorder/rules/index.js';
import { isFinished, readJournal } from '../recorder/service/index.js';
import { loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';

interface ReconcileFlags {
  config: string;
  from: string;
  to: string;
  pbx?: string;
  settleMinutes: string;
  json?: boolean;
  all?: boolean;
}

function refuse(message: string): never {
  process.stderr.write(`recorder reconcile: ${message}\n`);
  throw new CommandExit(EXIT_USAGE);
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
    if (local.month < 1 || local.month > 12 || local.day < 1 || local.day > 31 || local.hour > 23 || local.minute > 59) refuse(`${option}: not a valid date/time: ${JSON.stringify(text)}`);
    if (endOfDay && h === undefined) return new Date(instantOf({ ...local, hour: 23, minute: 59 }, zone).getTime() + 59_999);
    return instantOf(local, zone);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return refuse(`${option}: expected YYYY-MM-DD, "YYYY-MM-DD HH:MM" (the store's time zone) or an ISO time with a zone, got ${JSON.stringify(text)}`);
}

function printReport(report: ReconcileReport, all: boolean): void {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`period ${report.from} … ${report.to}: ${report.callsInReporting} calls in the reporting, ${report.calls.length} of recorded users`);
  out(
    Object.entries(report.counts)
      .filter(([, count]) => count > 0)
      .map(([verdict, count]) => `${verdict} ${count}`)
      .join(', ') || 'no calls of recorded users',
  );
  for (const call of report.calls) {
    if (!all && !call.problem) continue;
    const what = call.recordings.length > 0 ? ` ${call.recordings.join(', ')}` : '';
    out(`${call.problem ? '!' : ' '} ${call.start} ${call.conf} ${call.agents.join('+')}${call.external ? ` ↔ ${call.external}` : ''}: ${call.verdict}${call.cause ? ` (${call.cause})` : ''}${what}${call.reason ? ` — ${call.reason}` : ''}`);
  }
  out(report.problems === 0 ? 'complete: every call of a recorded user has its recording or a logged reason' : `${report.problems} call(s) without a recording or an acceptable reason`);
}

/** `recorder reconcile`: the period's calls of recorded users, each matched to its recording or a logged reason. */
export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description("completeness: every connected call of a recorded user in the reporting for a period, matched to its recording or to the reason in the service's audit trail; exit 1 when any has neither")
    .requiredOption('--from <time>', 'start of the period: YYYY-MM-DD, "YYYY-MM-DD HH:MM" (store time zone) or ISO time with zone')
    .requiredOption('--to <time>', 'end of the period (a bare date: to the end of that day)')
    .option('-c, --config <file>', 'configuration file (the same as recorder run)', 'recorder.toml')
    .option('--pbx <name>', "the PBX's name in the reporting (default: reporting.pbx of the configuration)")
    .option('--settle-minutes <n>', 'calls that ended less than this long ago count as pending', String(RECONCILE_SETTLE_MS / 60_000))
    .option('--all', 'list every call, not only the findings')
    .option('--json', 'print the whole report as JSON')
    .action(async (flags: ReconcileFlags) => {
      const settle = Number(flags.settleMinutes);
      if (!Number.isInteger(settle) || settle < 0 || settle > 100_000) refuse(`--settle-minutes: expected a whole number of minutes 0…100000, got ${JSON.stringify(flags.settleMinutes)}`);
      const { config } = await loadCommandConfig(flags.config, 'recorder reconcile');
      const zone = config.storage.timezone;
      const from = parsePeriodTime(flags.from, '--from', zone, false);
      const to = parsePeriodTime(flags.to, '--to', zone, true);
      if (from.getTime() > to.getTime()) refuse(`--to: ${to.toISOString()} is before --from ${from.toISOString()}`);
      // What the service is still working on (read beside it: the journal is append-only).
      const inProgress = new Set<string>();
      for (const item of (await readJournal(config.storage.journalPath)).items.values()) {
        const conf = confIdOfCapture(item.key);
        if (conf !== undefined && !isFinished(item.state)) inProgress.add(conf);
      }
      let report: ReconcileReport;
      try {
        report = await reconcilePeriod(config, {
          from,
          to,
          inProgress,
          ...(flags.pbx !== undefined ? { pbx: flags.pbx } : {}),
          settleMs: settle * 60_000,
        });
      } catch (error) {
        if (error instanceof ReconcileError) refuse(`${flags.config}: ${error.message}`);
        if (error instanceof ReportingUnavailableError) {
          process.stderr.write(`recorder reconcile: ${error.message}\n`);
          throw new CommandExit(EXIT_FAILED);
        }
        throw error;
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report, flags.all === true);
      if (report.problems > 0) throw new CommandExit(EXIT_FAILED);
    });
}
