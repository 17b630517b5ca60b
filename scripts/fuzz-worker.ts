// Worker of scripts/fuzz-captures.ts (piscina): builds the case of a seed, converts it, returns the outcome.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { convertCapture } from '../src/convert/index.js';
import { mutateCapture } from '../test/helpers/capture-mutations.js';

const sources = (workerData as { sourcePaths: string[] }).sourcePaths.map((path) => new Uint8Array(readFileSync(path)));
const work = mkdtempSync(join(tmpdir(), 'recorder-fuzz-soak-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

export default async function fuzzCase(seed: number): Promise<{ seed: number; ok?: boolean; error?: string; exception?: string; ms: number; steps: string[] }> {
  const mutation = mutateCapture(sources, seed);
  const input = join(work, mutation.gzip ? `case-${seed}.pcap.gz` : `case-${seed}.pcap`);
  writeFileSync(input, mutation.bytes);
  const out = join(work, `out-${seed}`);
  const started = Date.now();
  try {
    const report = await convertCapture(input, { outDir: out, durable: false });
    return { seed, ok: report.ok, ...(report.error !== undefined ? { error: report.error } : {}), ms: Date.now() - started, steps: mutation.steps };
  } catch (error) {
    return { seed, exception: error instanceof Error ? (error.stack ?? error.message) : String(error), ms: Date.now() - started, steps: mutation.steps };
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(input, { force: true });
  }
}
