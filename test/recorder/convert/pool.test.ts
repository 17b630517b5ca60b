import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ConversionPool, convertAll } from '../../../src/recorder/convert/index.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/calls');
const work = mkdtempSync(join(tmpdir(), 'recorder-pool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function digest(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

describe('conversion in a worker pool', () => {
  it('gives byte-identical recordings and the same reports as single-threaded conversion', async () => {
    const single = await convertAll([FIXTURES], { outDir: join(work, 'single'), durable: false });
    const pooled = await convertAll([FIXTURES], { outDir: join(work, 'pooled'), durable: false, workers: 2 });
    expect(pooled.outputs).toBe(single.outputs);
    expect(digest(join(work, 'pooled'))).toEqual(digest(join(work, 'single')));
    const strip = (r: (typeof single.reports)[number]) => ({ ...r, outputs: r.outputs.map((o) => ({ ...o, path: o.path.replace(/\/(single|pooled)\//, '/') })) });
    expect(pooled.reports.map(strip)).toEqual(single.reports.map(strip));
    expect(pooled.maxInFlight).toBeLessThanOrEqual(4);
    console.log(`pool: ${pooled.outputs} recordings identical to single-threaded; ${single.elapsedSeconds.toFixed(2)} s single, ${pooled.elapsedSeconds.toFixed(2)} s with 2 workers`);
  });

  it('several batches can share one open pool, which stays open and gives the same recordings (MP3 too)', async () => {
    const pool = new ConversionPool({ workers: 2 });
    try {
      const first = await convertAll([FIXTURES], { outDir: join(work, 'shared-1'), durable: false, format: 'mp3', openPool: pool });
      const second = await convertAll([FIXTURES], { outDir: join(work, 'shared-2'), durable: false, format: 'mp3', openPool: pool });
      const single = await convertAll([FIXTURES], { outDir: join(work, 'shared-single'), durable: false, format: 'mp3' });
      expect(first.failed).toBe(single.failed);
      expect(first.outputs).toBe(single.outputs);
      expect(digest(join(work, 'shared-1'))).toEqual(digest(join(work, 'shared-single')));
      expect(digest(join(work, 'shared-2'))).toEqual(digest(join(work, 'shared-single')));
      expect(second.maxInFlight).toBeLessThanOrEqual(4);
    } finally {
      await pool.destroy();
    }
  });

  it('a job that crashes its worker, hangs or throws is reported; the others complete', { timeout: 90_000 }, async () => {
    const dir = join(work, 'faults');
    mkdirSync(dir, { recursive: true });
    for (const name of ['a', 'b', 'c', 'd']) copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(dir, `${name}.pcap`));
    for (const name of ['crash', 'hang', 'throw']) writeFileSync(join(dir, `${name}.pcap`), '');
    const summary = await convertAll([dir], {
      outDir: join(work, 'faults-out'),
      durable: false,
      workers: 2,
      pool: { workerFile: new URL('../../helpers/faulty-worker.ts', import.meta.url), jobTimeoutMs: 15_000 },
    });
    const byName = Object.fromEntries(summary.reports.map((r) => [r.input.split('/').pop(), r]));
    expect(summary.converted).toBe(4);
    expect(summary.failed).toBe(3);
    expect(byName['crash.pcap']!.error).toMatch(/worker failed/);
    expect(byName['hang.pcap']!.error).toMatch(/did not finish within 15 s/);
    expect(byName['throw.pcap']!.error).toMatch(/job failed on purpose/);
    expect(readdirSync(join(work, 'faults-out')).sort()).toEqual(['a.wav', 'b.wav', 'c.wav', 'd.wav']);
  });

  it('back-pressure: a large tree never has more than twice the workers in flight', async () => {
    const dir = join(work, 'tree');
    for (let i = 0; i < 300; i++) {
      const sub = join(dir, `d${i % 10}`);
      mkdirSync(sub, { recursive: true });
      copyFileSync(join(FIXTURES, 'alaw-20ms-ipv4.pcap'), join(sub, `c${i}.pcap`));
    }
    const summary = await convertAll([dir], { outDir: join(work, 'tree-out'), durable: false, workers: 2 });
    expect(summary.converted).toBe(300);
    expect(summary.maxInFlight).toBeLessThanOrEqual(4);
  });
});
