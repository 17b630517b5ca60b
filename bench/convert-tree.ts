// Child process of the pool bench: converts a tree with N workers and reports time and peak memory as JSON.
//   convert-tree TREE OUTDIR WORKERS [wav|mp3] [warm]
// "warm": convert the tree once untimed, then time a second pass with the same threads (a long-running
// service or a big tree, where start-up and JIT warm-up are paid once); otherwise one cold pass, like the CLI.
import { peakRssKb } from './peak-rss.js';
import { convertAll, ConversionPool } from '../src/recorder/convert/index.js';
import type { BatchOptions } from '../src/recorder/convert/index.js';

const [tree, outDir, workersArg, format, mode] = process.argv.slice(2);
if (!tree || !outDir || !workersArg) {
  process.stderr.write('usage: convert-tree TREE OUTDIR WORKERS [wav|mp3] [warm]\n');
  process.exit(2);
}
const workers = Number(workersArg);
const options: BatchOptions = { outDir, durable: false, ...(format === 'mp3' ? { format: 'mp3' as const } : {}) };
const warm = mode === 'warm';
// Cold: convertAll starts (and times) its own pool, as the CLI does; warm: one pool for both passes.
const pool = warm && workers > 1 ? new ConversionPool({ workers }) : undefined;
const batch: BatchOptions = pool ? { ...options, openPool: pool } : { ...options, ...(workers > 1 ? { workers } : {}) };
try {
  if (warm) await convertAll([tree], batch);
  const started = process.hrtime.bigint();
  const summary = await convertAll([tree], batch);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({ files: summary.files, failed: summary.failed, seconds, audioSeconds: summary.audioSeconds, maxInFlight: summary.maxInFlight, maxRssKb: peakRssKb() })}\n`,
  );
} finally {
  await pool?.destroy();
}
