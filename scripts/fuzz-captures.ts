// The long fuzz run of the converter: mutated real captures (fixtures and ../shared/captures/third-party) through
// convertCapture in a worker thread; a case that throws is an exception, one that takes longer than the limit
// is a hang (the worker is ended and replaced). Every case is reproducible from its seed.
// Run: npx tsx scripts/fuzz-captures.ts [--cases 100000] [--seed 1] [--limit-ms 20000]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    'limit-ms': { type: 'string', default: '20000' },
  },
});
const cases = Number(values.cases);
const firstSeed = Number(values.seed);
const limitMs = Number(values['limit-ms']);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourcePaths = [
  ...readdirSync(join(root, 'fixtures/calls')).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => join(root, 'fixtures/calls', f)),
  ...(existsSync(join(root, '../shared/captures/third-party'))
    ? readdirSync(join(root, '../shared/captures/third-party'))
        .filter((f) => /\.(pcap|pcapng)$/.test(f))
        .map((f) => join(root, '../shared/captures/third-party', f))
    : []),
].filter((path) => readFileSync(path).length <= 2 << 20); // small ones: many cases per minute
process.stdout.write(`fuzz: ${sourcePaths.length} source captures, ${cases} cases from seed ${firstSeed}, ${limitMs} ms per case\n`);

interface Outcome {
  readonly seed: number;
  readonly ok?: boolean;
  readonly error?: string;
  readonly exception?: string;
  readonly ms: number;
  readonly steps: string[];
  /** Longest recording the case gave, and that its unmutated source gives (s). */
  readonly longest?: number;
  readonly sourceSeconds?: number;
}

/** A recording this much longer than its source's is a blow-up (damaged records opening a gap of silence). */
const SLACK_SECONDS = 60;

const counts = { converted: 0, reported: 0, exceptions: 0, hangs: 0, blownUp: 0 };
let longest = { seconds: 0, seed: 0 };
const problems: Outcome[] = [];
let slowest = { ms: 0, seed: 0 };
const last = firstSeed + cases;
const started = Date.now();

// Piscina runs the TypeScript worker through tsx as the conversion pool does; a case past the limit is aborted,
// which ends its thread (piscina starts another).
const pool = new Piscina({ filename: new URL('./fuzz-worker.ts', import.meta.url).href, execArgv: ['--import', 'tsx'], workerData: { sourcePaths }, minThreads: 2, maxThreads: 2 });
const inFlight = new Set<Promise<void>>();
/** Each problem is printed when it happens: a long run stopped early still names its seeds. */
function report(problem: Outcome): void {
  process.stdout.write(`  problem: seed ${problem.seed}: ${problem.exception ?? 'hang'} [${problem.steps.join('; ')}]\n`);
}
for (let seed = firstSeed; seed < last; seed++) {
  const job = (pool.run(seed, { signal: AbortSignal.timeout(limitMs) }) as Promise<Outcome>).then(
    (outcome) => {
      if (outcome.exception !== undefined) {
        counts.exceptions++;
        problems.push(outcome);
        report(outcome);
      } else if (outcome.ok) counts.converted++;
      else counts.reported++;
      if (outcome.ms > slowest.ms) slowest = { ms: outcome.ms, seed: outcome.seed };
      if ((outcome.longest ?? 0) > longest.seconds) longest = { seconds: outcome.longest!, seed: outcome.seed };
      if ((outcome.longest ?? 0) > (outcome.sourceSeconds ?? 0) + SLACK_SECONDS) {
        counts.blownUp++;
        problems.push({ ...outcome, exception: `recording of ${outcome.longest!.toFixed(1)} s from a source of ${(outcome.sourceSeconds ?? 0).toFixed(1)} s` });
        report(problems.at(-1)!);
      }
    },
    (error: unknown) => {
      const hang = error instanceof Error && (error.name === 'AbortError' || /abort/i.test(error.message));
      if (hang) counts.hangs++;
      else counts.exceptions++;
      problems.push({ seed, ms: hang ? limitMs : 0, ...(hang ? {} : { exception: `worker failed: ${error instanceof Error ? error.message : String(error)}` }), steps: [hang ? '(hang: no answer within the limit)' : ''] });
      report(problems.at(-1)!);
    },
  );
  const tracked: Promise<void> = job.finally(() => {
    inFlight.delete(tracked);
    const done = counts.converted + counts.reported + counts.exceptions + counts.hangs;
    if (done % 5000 === 0) {
      process.stdout.write(`  ${done} cases (seeds from ${firstSeed}), ${counts.exceptions} exceptions, ${counts.hangs} hangs, ${counts.blownUp} blow-ups, ${Math.round((Date.now() - started) / 1000)} s\n`);
    }
  });
  inFlight.add(tracked);
  if (inFlight.size >= 8) await Promise.race(inFlight);
}
await Promise.all(inFlight);
await pool.destroy();
const total = counts.converted + counts.reported + counts.exceptions + counts.hangs;
process.stdout.write(
  `fuzz: ${total} mutated captures in ${Math.round((Date.now() - started) / 1000)} s — ${counts.converted} converted, ${counts.reported} reported as failed, ` +
    `${counts.exceptions} uncaught exceptions, ${counts.hangs} hangs, ${counts.blownUp} recordings over ${SLACK_SECONDS} s longer than their source's; ` +
    `slowest ${slowest.ms} ms (seed ${slowest.seed}), longest recording ${longest.seconds.toFixed(1)} s (seed ${longest.seed})\n`,
);
for (const problem of problems.slice(0, 20)) process.stdout.write(`  seed ${problem.seed}: ${problem.exception ?? 'hang'} [${problem.steps.join('; ')}]\n`);
process.exitCode = counts.exceptions + counts.hangs + counts.blownUp > 0 ? 1 : 0;
