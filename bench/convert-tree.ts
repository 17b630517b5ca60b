// Child process of the pool bench: converts a tree with N workers and reports time and peak memory as JSON.
import { convertAll } from '../src/convert/index.js';

const [tree, outDir, workersArg, format] = process.argv.slice(2);
if (!tree || !outDir || !workersArg) {
  process.stderr.write('usage: convert-tree TREE OUTDIR WORKERS [wav|mp3]\n');
  process.exit(2);
}
const workers = Number(workersArg);
const started = process.hrtime.bigint();
const summary = await convertAll([tree], { outDir, durable: false, ...(format === 'mp3' ? { format: 'mp3' as const } : {}), ...(workers > 1 ? { workers } : {}) });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(
  `${JSON.stringify({ files: summary.files, failed: summary.failed, seconds, audioSeconds: summary.audioSeconds, maxInFlight: summary.maxInFlight, maxRssKb: process.resourceUsage().maxRSS })}\n`,
);
