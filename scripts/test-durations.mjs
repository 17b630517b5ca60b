// Writes test/setup/durations.json from a vitest JSON report (vitest run --reporter=json --outputFile=F):
// the seconds each slow test file took, which test/setup/sequencer.ts uses to start the longest files first
// (on a fresh CI clone vitest has no timings of its own and starts the largest files first, which left
// 50-second files to the end of the run). Only files over 5 s are kept; stale figures only cost ordering.
// The report may come from another checkout (a worktree): names are kept from their test/ folder on.
//   node scripts/test-durations.mjs REPORT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const durations = {};
for (const file of report.testResults.map((t) => ({ name: t.name.slice(t.name.indexOf('/test/') + 1), seconds: (t.endTime - t.startTime) / 1000 })).sort((a, b) => b.seconds - a.seconds)) {
  if (file.seconds >= 5) durations[file.name] = Math.round(file.seconds);
}
writeFileSync(join(root, 'test/setup/durations.json'), `${JSON.stringify(durations, null, 2)}\n`);
process.stdout.write(`${Object.keys(durations).length} files over 5 s\n`);
