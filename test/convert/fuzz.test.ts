import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../src/convert/index.js';
import { mutateCapture } from '../helpers/capture-mutations.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/calls');
const work = mkdtempSync(join(tmpdir(), 'recorder-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The CI-size run; scripts/fuzz-captures.ts runs the same mutations by the hundred thousand.
describe('converter fuzz: mutated captures', () => {
  it('never throws, always reports, never leaves a partial file', { timeout: 120_000 }, async () => {
    const sources = ['alaw-20ms.pcap', 'sip-call.pcap', 'reorder-duplicates.pcap', 'alaw-20ms-ethernet-plus-sll.pcapng', 'g722-g711.pcap', 'dtmf-cn.pcap', 'ssrc-change.pcap'].map(
      (f) => new Uint8Array(readFileSync(join(FIXTURES, f))),
    );
    const outcomes = { ok: 0, failed: 0 };
    let slowest = 0;
    const cases = 500;
    for (let seed = 1; seed <= cases; seed++) {
      const mutation = mutateCapture(sources, seed);
      const input = join(work, `m${seed}.pcap${mutation.gzip ? '.gz' : ''}`);
      writeFileSync(input, mutation.bytes);
      const started = Date.now();
      const report = await convertCapture(input, { outDir: join(work, 'out'), durable: false });
      slowest = Math.max(slowest, Date.now() - started);
      expect(report.input).toBe(input);
      if (report.ok) outcomes.ok++;
      else {
        outcomes.failed++;
        expect(report.error, `seed ${seed}: ${mutation.steps.join('; ')}`).toBeTruthy();
      }
      rmSync(input);
    }
    expect(readdirSync(join(work, 'out')).filter((f) => f.endsWith('.partial'))).toEqual([]);
    console.log(`converter fuzz: ${cases} mutated captures, ${outcomes.ok} converted, ${outcomes.failed} reported as failed, 0 exceptions; slowest ${slowest} ms`);
  });
});
