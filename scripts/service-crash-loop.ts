// The long crash-safety run of `recorder run`: ≥ 200 calls, ≥ 20 SIGKILLs at seeded random moments, each followed
// by a restart; then 0 lost, 0 duplicated, 0 corrupt, the drive empty. Run: npx tsx scripts/service-crash-loop.ts
//   [--calls N] [--kills N] [--seed N] [--speed X] [--keep] [--encrypted]
import { parseArgs } from 'node:util';
import { runCrashLoop } from '../test/e2e/helpers/crash-loop.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    kills: { type: 'string', default: '24' },
    seed: { type: 'string', default: '2024' },
    speed: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    encrypted: { type: 'boolean', default: false },
  },
});

const report = await runCrashLoop({
  calls: Number(values.calls),
  kills: Number(values.kills),
  seed: Number(values.seed),
  speed: Number(values.speed),
  meanGapSeconds: 3,
  killAfterMs: [1000, 7000],
  drainTimeoutMs: 300_000,
  keep: values.keep,
  encrypted: values.encrypted,
  log: (line) => process.stdout.write(`${line}\n`),
});

const problems = report.lost.length + report.duplicated.length + report.unexpected.length + report.corrupt.length + report.truncated.length + report.withoutSidecar.length + report.strays.length + report.leftOnDrive.length + report.journalMismatches.length + report.quarantined + report.looseModes.length + report.plaintextAtKill.length + (report.indexed === report.expectedRecordings ? 0 : 1);
process.stdout.write(
  [
    '',
    `calls ${report.calls}, captures ${report.captures}, recordings expected ${report.expectedRecordings}`,
    `kills ${report.kills}, ${report.killsDuringWork} of them while work was pending (recorder started ${report.starts} times), ${report.seconds} s`,
    `filed ${report.filed}, indexed ${report.indexed}, quarantined ${report.quarantined}`,
    `lost ${report.lost.length}, duplicated ${report.duplicated.length}, unexpected ${report.unexpected.length}, corrupt ${report.corrupt.length}, truncated ${report.truncated.length}, without sidecar ${report.withoutSidecar.length}`,
    `strays ${report.strays.length}, left on the drive ${report.leftOnDrive.length}, journal mismatches ${report.journalMismatches.length}`,
    `files others may read ${report.looseModes.length}${values.encrypted ? `, working files readable after a kill ${report.plaintextAtKill.length} (encryption on)` : ''}`,
    ...(problems > 0 ? [JSON.stringify(report, null, 2)] : []),
    report.base && values.keep ? `kept ${report.base}` : '',
    problems === 0 ? 'OK' : 'FAILED',
    '',
  ].join('\n'),
);
process.exitCode = problems === 0 ? 0 : 1;
