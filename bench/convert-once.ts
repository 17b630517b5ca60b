// Child process of the pipeline bench: converts one capture and reports time and peak memory as JSON.
import { convertCapture } from '../src/convert/index.js';

const [capture, outDir] = process.argv.slice(2);
if (!capture || !outDir) {
  process.stderr.write('usage: convert-once CAPTURE OUTDIR\n');
  process.exit(2);
}
const started = process.hrtime.bigint();
const report = await convertCapture(capture, { outDir });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const audioSeconds = report.outputs.reduce((n, o) => n + o.durationSeconds, 0);
process.stdout.write(`${JSON.stringify({ ok: report.ok, error: report.error, seconds, audioSeconds, packets: report.outputs.reduce((n, o) => n + o.packets, 0), maxRssKb: process.resourceUsage().maxRSS })}\n`);
