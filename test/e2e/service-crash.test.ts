// Crash safety of `recorder run` (a separate process, started from source): SIGKILL at seeded random moments while
// calls come in, restarted each time; afterwards no call is lost or doubled, every audio file is whole, the drive
// is empty and no temporary file is left. The long run (≥ 200 calls, ≥ 20 kills) is scripts/service-crash-loop.ts.
import { describe, expect, it } from 'vitest';
import { runCrashLoop } from './helpers/crash-loop.js';

describe('recorder run killed with SIGKILL and restarted', () => {
  it('loses, doubles and corrupts nothing over 40 calls and 5 kills', { timeout: 120_000 }, async () => {
    const report = await runCrashLoop({ calls: 40, kills: 5, seed: 5, speed: 6, meanGapSeconds: 2.5, killAfterMs: [1000, 5000], drainTimeoutMs: 60_000 });
    expect(report.kills).toBe(5);
    expect(report.killsDuringWork).toBeGreaterThanOrEqual(3);
    expect(report.captures).toBeGreaterThan(30);
    expect(report.expectedRecordings).toBeGreaterThan(15);
    expect({
      lost: report.lost,
      duplicated: report.duplicated,
      unexpected: report.unexpected,
      corrupt: report.corrupt,
      truncated: report.truncated,
      withoutSidecar: report.withoutSidecar,
      strays: report.strays,
      leftOnDrive: report.leftOnDrive,
      journalMismatches: report.journalMismatches,
      quarantined: report.quarantined,
    }).toEqual({ lost: [], duplicated: [], unexpected: [], corrupt: [], truncated: [], withoutSidecar: [], strays: [], leftOnDrive: [], journalMismatches: [], quarantined: 0 });
    expect(report.filed).toBe(report.expectedRecordings);
    // Owner-only: recordings, captures, journal and index are personal data.
    expect(report.looseModes).toEqual([]);
    expect(report.indexed).toBe(report.expectedRecordings);
  });
});
