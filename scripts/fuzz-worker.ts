// Worker of scripts/fuzz-captures.ts (piscina): builds the case of a seed, converts it, returns the outcome.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { convertCapture } from '../src/recorder/convert/index.js';
import { mutateCapture } from '../test/helpers/capture-mutations.js';

const sources = (workerData as { sourcePaths: string[] }).sourcePaths.map((path) => new Uint8Array(readFileSync(path)));
const work = mkdtempSync(join(tmpdir(), 'recorder-fuzz-soak-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Longest recording of each source as it is (s): a mutated copy may not give much more. */
const sourceSeconds = new Map<number, number>();
async function secondsOfSource(index: number): Promise<number> {
  let seconds = sourceSeconds.get(index);
  if (seconds === undefined) {
    const out = join(work, `source-${index}`);
    const report = await convertCapture((workerData as { sourcePaths: string[] }).sourcePaths[index]!, { outDir: out, durable: false });
    rmSync(out, { recursive: true, force: true });
    seconds = Math.max(0, ...report.outputs.map((output) => output.durationSeconds));
    sourceSeconds.set(index, seconds);
  }
  return seconds;
}

export default async function fuzzCase(
  seed: number,
): Promise<{ seed: number; ok?: boolean; error?: string; exception?: string; ms: number; steps: string[]; longest?: number; sourceSeconds?: number }> {
  const mutation = mutateCapture(sources, seed);
  const original = await secondsOfSource(mutation.source);
  const input = join(work, mutation.gzip ? `case-${seed}.pcap.gz` : `case-${seed}.pcap`);
  writeFileSync(input, mutation.bytes);
  const out = join(work, `out-${seed}`);
  const started = Date.now();
  try {
    const report = await convertCapture(input, { outDir: out, durable: false });
    const longest = Math.max(0, ...report.outputs.map((output) => output.durationSeconds));
    return { seed, ok: report.ok, ...(report.error !== undefined ? { error: report.error } : {}), ms: Date.now() - started, steps: mutation.steps, longest, sourceSeconds: original };
  } catch (error) {
    return { seed, exception: error instanceof Error ? (error.stack ?? error.message) : String(error), ms: Date.now() - started, steps: mutation.steps };
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(input, { force: true });
  }
}
