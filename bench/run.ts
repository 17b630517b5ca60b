import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow, BenchSuite } from './types.js';

/** Each suite lives in its own module and exports one BenchSuite under `export const <name>`. */
const SUITES: Array<{ module: string; exportName: string }> = [
  { module: './g711-pipeline.js', exportName: 'g711PipelineBench' },
  { module: './many-calls.js', exportName: 'manyCallsBench' },
  { module: './g722.js', exportName: 'g722Bench' },
  { module: './g729.js', exportName: 'g729Bench' },
  { module: './formats-pool.js', exportName: 'formatsPoolBench' },
  { module: './crypto.js', exportName: 'cryptoBench' },
  { module: './player-search.js', exportName: 'playerBench' },
  { module: './cluster.js', exportName: 'clusterBench' },
  { module: './service-capacity.js', exportName: 'serviceCapacityBench' },
];

function format(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(2);
}

function table(rows: BenchRow[]): string {
  const lines = [
    '| task | unit | ours | native | native tool | ours/native | peak RSS MB | note |',
    '|---|---|---:|---:|---|---:|---:|---|',
  ];
  for (const r of rows) {
    const ratio = r.native ? r.ours / r.native : undefined;
    lines.push(`| ${r.task} | ${r.unit} | ${format(r.ours)} | ${format(r.native)} | ${r.nativeTool ?? '—'} | ${ratio === undefined ? '—' : ratio.toFixed(2)} | ${format(r.peakRssMb)} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const rows: BenchRow[] = [];
  for (const suite of SUITES) {
    if (only.length > 0 && !only.some((o) => suite.module.includes(o))) continue;
    const here = dirname(fileURLToPath(import.meta.url));
    if (!existsSync(join(here, suite.module))) continue;
    const loaded = (await import(suite.module)) as Record<string, BenchSuite>;
    const run = loaded[suite.exportName];
    if (!run) throw new Error(`${suite.module} does not export ${suite.exportName}`);
    process.stderr.write(`bench: ${suite.exportName}…\n`);
    rows.push(...(await run()));
  }
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  const stamp = new Date().toISOString();
  const text = table(rows);
  process.stdout.write(`${text}\n`);
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const resultsDir = join(root, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${stamp.replace(/[:.]/g, '-')}.json`), `${JSON.stringify({ stamp, machine, rows }, null, 2)}\n`);
  appendFileSync(join(root, 'bench/RESULTS.md'), `\n## ${stamp} — ${machine}\n\n${text}\n`);
}

await main();
