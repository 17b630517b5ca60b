// Child process of the pipeline bench: converts one capture and reports time and peak memory as JSON.
import { peakRssKb } from './peak-rss.js';
import { convertCapture } from '../src/recorder/convert/index.js';

const [capture, outDir, mode] = process.argv.slice(2);
if (!capture || !outDir) {
  process.stderr.write('usage: convert-once CAPTURE OUTDIR\n');
  process.exit(2);
}
const started = process.hrtime.bigint();
// 'no-fsync': the native tools write to /dev/null, so the like-for-like figure leaves out the final fsync.
const report = await convertCapture(capture, { outDir, durable: mode !== 'no-fsync' });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const audioSeconds = report.outputs.reduce((n, o) => n + o.durationSeconds, 0);
process.stdout.write(`${JSON.stringify({ ok: report.ok, error: report.error, seconds, audioSeconds, packets: report.outputs.reduce((n, o) => n + o.packets, 0), maxRssKb: peakRssKb() })}\n`);
