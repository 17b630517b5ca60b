import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory, randomScenario, watchRun } from '../../src/embedded/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('recorder pbx: the embedded PBX end to end, seen through the recorder-side clients', () => {
  for (const [calls, seed] of [[20, 1], [60, 2]] as const) {
    it(`${calls} random calls (seed ${seed}): captures on the drive, SOAP call ends and CDRs agree one to one with the plan`, async () => {
      const driveRoot = await mkdtemp(join(tmpdir(), 'pbx-e2e-'));
      dirs.push(driveRoot);
      const directory = defaultDirectory();
      const pbx = new EmbeddedPbx({ scenario: randomScenario(directory, { calls, seed, meanGapSeconds: 6 }), directory, driveRoot, speed: 60, captureFlushMs: 50 });
      await pbx.start();
      try {
        const watch = await watchRun(pbx);
        const result = await pbx.run();
        expect(result.failures).toEqual([]);
        expect(result.calls).toBe(calls);
        const agreement = await watch.finish();
        expect(agreement.captureMismatches).toEqual([]);
        expect(agreement.soapMismatches).toEqual([]);
        expect(agreement.cdrMismatches).toEqual([]);
        expect(agreement.capturesPlanned).toBeGreaterThan(0);
        expect(agreement.soapEndsReceived).toBe(agreement.soapEndsExpected);
        expect(agreement.cdrsReceived).toBeGreaterThan(0);
      } finally {
        await pbx.stop();
      }
    });
  }
});
