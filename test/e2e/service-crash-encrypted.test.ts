// Crash safety of `recorder run` with encryption on: SIGKILL at seeded random moments while calls come in, restarted
// each time; besides losing, doubling and corrupting nothing, no plaintext audio is in its working folders at any
// kill. (A file of its own beside service-crash.test.ts: the two long runs go on in parallel.)
import { describe, expect, it } from 'vitest';
import { runCrashLoop } from './helpers/crash-loop.js';

describe('recorder run killed with SIGKILL and restarted, encryption on', () => {
  it('with encryption on: loses, doubles and corrupts nothing, and leaves nothing readable in its working folders at any kill', { timeout: 120_000 }, async () => {
    const report = await runCrashLoop({ calls: 20, kills: 4, seed: 9, speed: 6, meanGapSeconds: 2.5, killAfterMs: [800, 4000], drainTimeoutMs: 60_000, encrypted: true });
    expect(report.kills).toBe(4);
    expect(report.killsDuringWork).toBeGreaterThanOrEqual(2);
    expect(report.expectedRecordings).toBeGreaterThan(8);
    expect({
      lost: report.lost,
      duplicated: report.duplicated,
      corrupt: report.corrupt,
      truncated: report.truncated,
      strays: report.strays,
      leftOnDrive: report.leftOnDrive,
      journalMismatches: report.journalMismatches,
      plaintextAtKill: report.plaintextAtKill,
      looseModes: report.looseModes,
    }).toEqual({ lost: [], duplicated: [], corrupt: [], truncated: [], strays: [], leftOnDrive: [], journalMismatches: [], plaintextAtKill: [], looseModes: [] });
    expect(report.filed).toBe(report.expectedRecordings);
  });
});
