// A long run of the embedded PBX checked one to one against its plan: captures, SOAP call ends, CDRs.
// Usage: npx tsx scripts/pbx-soak.ts [calls=1000] [seed=1] [speed=100]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPbx, defaultDirectory, randomScenario, watchRun } from '../src/embedded/index.js';

const calls = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? 1);
const speed = Number(process.argv[4] ?? 100);
const driveRoot = await mkdtemp(join(tmpdir(), 'pbx-soak-'));
const directory = defaultDirectory();
const pbx = new EmbeddedPbx({ scenario: randomScenario(directory, { calls, seed }), directory, driveRoot, speed });
await pbx.start();
const started = performance.now();
const watch = await watchRun(pbx, { onLinkStatus: (status) => process.stderr.write(`${new Date().toISOString()} SOAP link ${status.up ? 'up' : `down: ${status.error}`}\n`) });
const result = await pbx.run({ onCallDone: (_call, done) => done % 100 === 0 && process.stderr.write(`${done} calls done\n`) });
const agreement = await watch.finish();
const seconds = (performance.now() - started) / 1000;
const simulated = (Math.max(...pbx.calls.map((c) => c.setupTime + c.endAt)) - Math.min(...pbx.calls.map((c) => c.setupTime))) / 1000;
console.log(
  JSON.stringify(
    {
      calls: result.calls,
      speed,
      simulatedSeconds: Math.round(simulated),
      realSeconds: Math.round(seconds),
      events: result.events,
      failures: result.failures.length,
      capturesPlanned: agreement.capturesPlanned,
      capturesOnDrive: agreement.capturesOnDrive,
      captureMismatches: agreement.captureMismatches.slice(0, 10),
      soapEnds: `${agreement.soapEndsReceived}/${agreement.soapEndsExpected}`,
      soapMismatches: agreement.soapMismatches.slice(0, 10),
      cdrs: `${agreement.cdrsReceived}/${agreement.cdrsExpected}`,
      cdrMismatches: agreement.cdrMismatches.slice(0, 10),
      ok: agreement.ok && result.failures.length === 0,
    },
    null,
    2,
  ),
);
await pbx.stop();
await rm(driveRoot, { recursive: true, force: true });
process.exit(agreement.ok && result.failures.length === 0 ? 0 : 1);
