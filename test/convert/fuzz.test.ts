import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../src/convert/index.js';
import { mulberry32 } from '../../src/util/index.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/calls');
const work = mkdtempSync(join(tmpdir(), 'recorder-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('converter fuzz: mutated captures', () => {
  it('never throws, always reports, never leaves a partial file', async () => {
    const random = mulberry32(2024);
    const sources = ['alaw-20ms.pcap', 'sip-call.pcap', 'reorder-duplicates.pcap', 'alaw-20ms-ethernet-plus-sll.pcapng'].map((f) => readFileSync(join(FIXTURES, f)));
    const outcomes = { ok: 0, failed: 0 };
    let slowest = 0;
    for (let i = 0; i < 160; i++) {
      const bytes = Uint8Array.from(sources[i % sources.length]!);
      const flips = 1 + Math.floor(random() * 40);
      for (let k = 0; k < flips; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length;
      const input = join(work, `m${i}.pcap`);
      writeFileSync(input, bytes.subarray(0, cut));
      const started = Date.now();
      const report = await convertCapture(input, { outDir: join(work, 'out'), durable: false });
      slowest = Math.max(slowest, Date.now() - started);
      expect(report.input).toBe(input);
      if (report.ok) outcomes.ok++;
      else {
        outcomes.failed++;
        expect(report.error).toBeTruthy();
      }
    }
    expect(readdirSync(join(work, 'out')).filter((f) => f.endsWith('.partial'))).toEqual([]);
    console.log(`converter fuzz: 160 mutated captures, ${outcomes.ok} converted, ${outcomes.failed} reported as failed, 0 exceptions; slowest ${slowest} ms`);
  });
});
