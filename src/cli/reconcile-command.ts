import type { Command } from 'commander';
import { RECONCILE_SETTLE_MS, ReconcileError, parsePeriodTime, reconcilePeriod } from '../recorder/reconcile/index.js';
import type { ReconcileReport } from '../recorder/reconcile/index.js';
import { ReportingUnavailableError } from '../recorder/pbx/index.js';
import { confsInProgress } from '../recorder/service/index.js';
import { loadCommandConfig } from './command-config.js';
import { CommandExit, EXIT_FAILED, usageError } from './exit-codes.js';

interface ReconcileFlags {
  config: string;
  from: string;
  to: string;
  pbx?: string;
  settleMinutes: string;
  json?: boolean;
  all?: boolean;
}

const refuse = (message: string): never => usageError('recorder reconcile', message);

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
      let from: Date;
      let to: Date;
      try {
        from = parsePeriodTime(flags.from, '--from', zone, false);
        to = parsePeriodTime(flags.to, '--to', zone, true);
      } catch (error) {
        if (error instanceof ReconcileError) refuse(error.message);
        throw error;
      }
      if (from.getTime() > to.getTime()) refuse(`--to: ${to.toISOString()} is before --from ${from.toISOString()}`);
      const inProgress = await confsInProgress(config.storage.journalPath);
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
