// Child process of the pool bench: converts a tree with N workers and reports time and peak memory as JSON.
//   convert-tree TREE OUTDIR WORKERS [wav|mp3] [warm]
// "warm": convert the tree once untimed, then time a second pass with the same threads (a long-running
// service or a big tree, where start-up and JIT warm-up are paid once); otherwise one cold pass, like the CLI.
import { convertAll, convertCapture, ConversionPool, collectInputs } from '../src/convert/index.js';
import type { ConvertOptions } from '../src/convert/index.js';

const [tree, outDir, workersArg, format, mode] = process.argv.slice(2);
if (!tree || !outDir || !workersArg) {
  process.stderr.write('usage: convert-tree TREE OUTDIR WORKERS [wav|mp3] [warm]\n');
  process.exit(2);
}
const workers = Number(workersArg);
const options: ConvertOptions = { outDir, durable: false, ...(format === 'mp3' ? { format: 'mp3' as const } : {}) };

async function warmPasses(): Promise<{ seconds: number; audioSeconds: number; failed: number; files: number }> {
  const { files } = await collectInputs([tree!]);
  const pool = workers > 1 ? new ConversionPool({ workers }) : undefined;
  const pass = async (): Promise<{ audioSeconds: number; failed: number }> => {
    let audioSeconds = 0;
    let failed = 0;
    const account = (report: Awaited<ReturnType<typeof convertCapture>>): void => {
      audioSeconds += report.outputs.reduce((n, o) => n + o.durationSeconds, 0);
      if (!report.ok) failed++;
    };
    if (!pool) for (const file of files) account(await convertCapture(file, options));
    else {
      // The batch converter's back-pressure: at most twice the workers in flight.
      const inFlight = new Set<Promise<void>>();
      for (const file of files) {
        const tracked: Promise<void> = pool.convert(file, options).then(account).finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        if (inFlight.size >= 2 * pool.size) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }
    return { audioSeconds, failed };
  };
  try {
    await pass();
    const started = process.hrtime.bigint();
    const timed = await pass();
    return { ...timed, files: files.length, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await pool?.destroy();
  }
}

if (mode === 'warm') {
  const result = await warmPasses();
  process.stdout.write(`${JSON.stringify({ ...result, maxInFlight: 2 * workers, maxRssKb: process.resourceUsage().maxRSS })}\n`);
} else {
  const started = process.hrtime.bigint();
  const summary = await convertAll([tree], { ...options, ...(workers > 1 ? { workers } : {}) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({ files: summary.files, failed: summary.failed, seconds, audioSeconds: summary.audioSeconds, maxInFlight: summary.maxInFlight, maxRssKb: process.resourceUsage().maxRSS })}\n`,
  );
}
