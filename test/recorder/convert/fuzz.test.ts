import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { mutateCapture } from '../../helpers/capture-mutations.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/calls');
const work = mkdtempSync(join(tmpdir(), 'recorder-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Longest recording a mutated capture may give: its sources are seconds long, and one damaged record must not
 * open a gap (a real jump needs two packets that agree; even then a re-anchor opens at most 600 s). */
const LONGEST_SECONDS = 60;

// The CI-size run (≥ 5,000 cases, issue 17); scripts/fuzz-captures.ts runs the same mutations by the million.
describe('converter fuzz: mutated captures', () => {
  it('never throws, always reports, never leaves a partial file, never blows a recording up', { timeout: 300_000 }, async () => {
    const sources = ['alaw-20ms.pcap', 'sip-call.pcap', 'reorder-duplicates.pcap', 'alaw-20ms-ethernet-plus-sll.pcapng', 'g722-g711.pcap', 'dtmf-cn.pcap', 'ssrc-change.pcap'].map(
      (f) => new Uint8Array(readFileSync(join(FIXTURES, f))),
    );
    const outcomes = { ok: 0, failed: 0 };
    let slowest = 0;
    const cases = 5000;
    let longest = 0;
    const blownUp: string[] = [];
    const partials: string[] = [];
    for (let seed = 1; seed <= cases; seed++) {
      const mutation = mutateCapture(sources, seed);
      const input = join(work, `m${seed}.pcap${mutation.gzip ? '.gz' : ''}`);
      writeFileSync(input, mutation.bytes);
      const started = Date.now();
      const report = await convertCapture(input, { outDir: join(work, 'out'), durable: false });
      slowest = Math.max(slowest, Date.now() - started);
      expect(report.input).toBe(input);
      for (const output of report.outputs) {
        longest = Math.max(longest, output.durationSeconds);
        if (output.durationSeconds > LONGEST_SECONDS) blownUp.push(`seed ${seed}: ${output.durationSeconds.toFixed(1)} s (${mutation.steps.join('; ')})`);
      }
      const out = join(work, 'out');
      if (existsSync(out) && readdirSync(out).some((f) => f.endsWith('.partial'))) partials.push(`seed ${seed}`);
      rmSync(out, { recursive: true, force: true });
      if (report.ok) outcomes.ok++;
      else {
        outcomes.failed++;
        expect(report.error, `seed ${seed}: ${mutation.steps.join('; ')}`).toBeTruthy();
      }
      rmSync(input);
    }
    console.log(`converter fuzz: ${cases} mutated captures, ${outcomes.ok} converted, ${outcomes.failed} reported as failed, 0 exceptions; slowest ${slowest} ms; longest recording ${longest.toFixed(1)} s`);
    expect(blownUp).toEqual([]);
    expect(partials).toEqual([]);
  });
});
