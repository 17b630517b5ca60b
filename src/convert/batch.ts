import { collectInputs } from './inputs.js';
import { convertCapture } from './convert-capture.js';
import type { ConvertOptions, FileReport } from './convert-capture.js';
import { ConversionPool } from './pool.js';
import type { PoolOptions } from './pool.js';

export interface BatchProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly calls: number;
  readonly audioSeconds: number;
  readonly failed: number;
  readonly current: string;
}

export interface BatchOptions extends ConvertOptions {
  readonly onProgress?: (progress: BatchProgress) => void;
  readonly onFile?: (report: FileReport) => void;
  /** Convert in a pool of this many worker threads; absent: one after another in this thread. */
  readonly workers?: number;
  readonly pool?: Omit<PoolOptions, 'workers'>;
  /** Convert in this open pool instead (left open afterwards: several batches can share its warm threads). */
  readonly openPool?: ConversionPool;
  readonly signal?: AbortSignal;
}

export interface BatchSummary {
  readonly files: number;
  readonly converted: number;
  readonly failed: number;
  readonly calls: number;
  readonly outputs: number;
  readonly audioSeconds: number;
  readonly packets: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly elapsedSeconds: number;
  /** Audio seconds converted per wall-clock second. */
  readonly realtimeFactor: number;
  /** Most jobs queued or running at once (back-pressure: at most twice the workers). */
  readonly maxInFlight: number;
  readonly reports: FileReport[];
}

/** Convert every capture named or found under the given paths, one after another. */
export async function convertAll(paths: readonly string[], options: BatchOptions = {}): Promise<BatchSummary> {
  const started = process.hrtime.bigint();
  const { files, missing } = await collectInputs(paths);
  const reports: FileReport[] = missing.map(({ path, reason }) => ({ input: path, ok: false, error: reason, warnings: [], calls: 0, streams: 0, outputs: [] }));
  for (const report of reports) options.onFile?.(report);
  let calls = 0;
  let audioSeconds = 0;
  let failed = reports.length;
  let done = 0;
  let maxInFlight = 0;
  const converted: FileReport[] = new Array<FileReport>(files.length);
  const account = (index: number, report: FileReport): void => {
    converted[index] = report;
    done++;
    calls += report.calls;
    audioSeconds += report.outputs.reduce((n, o) => n + o.durationSeconds, 0);
    if (!report.ok) failed++;
    options.onFile?.(report);
    options.onProgress?.({ filesDone: done, filesTotal: files.length, calls, audioSeconds, failed, current: report.input });
  };
  const convertOptions: ConvertOptions = {
    ...(options.outDir !== undefined ? { outDir: options.outDir } : {}),
    ...(options.format !== undefined ? { format: options.format } : {}),
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    ...(options.kbps !== undefined ? { kbps: options.kbps } : {}),
    ...(options.mix !== undefined ? { mix: options.mix } : {}),
    ...(options.channels !== undefined ? { channels: options.channels } : {}),
    ...(options.useSignalling !== undefined ? { useSignalling: options.useSignalling } : {}),
    ...(options.reorderWindow !== undefined ? { reorderWindow: options.reorderWindow } : {}),
    ...(options.durable !== undefined ? { durable: options.durable } : {}),
  };
  options.onProgress?.({ filesDone: 0, filesTotal: files.length, calls, audioSeconds, failed, current: files[0] ?? '' });
  if (options.workers === undefined && options.openPool === undefined) {
    for (let i = 0; i < files.length; i++) {
      if (options.signal?.aborted) break;
      maxInFlight = 1;
      account(i, await convertCapture(files[i]!, convertOptions));
    }
  } else {
    const pool = options.openPool ?? new ConversionPool({ ...options.pool, workers: options.workers });
    try {
      // Back-pressure: never more jobs in flight than twice the workers, however many files there are.
      const limit = 2 * pool.size;
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; i < files.length; i++) {
        if (options.signal?.aborted) break;
        const job = pool.convert(files[i]!, convertOptions, options.signal).then((report) => account(i, report));
        const tracked: Promise<void> = job.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        maxInFlight = Math.max(maxInFlight, inFlight.size);
        if (inFlight.size >= limit) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    } finally {
      if (pool !== options.openPool) await pool.destroy();
    }
  }
  files.forEach((file, i) => {
    if (!converted[i]) {
      failed++;
      converted[i] = { input: file, ok: false, error: 'conversion cancelled', warnings: [], calls: 0, streams: 0, outputs: [] };
    }
  });
  reports.push(...converted);
  options.onProgress?.({ filesDone: files.length, filesTotal: files.length, calls, audioSeconds, failed, current: '' });
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const outputs = reports.flatMap((r) => r.outputs);
  return {
    files: files.length + missing.length,
    converted: reports.filter((r) => r.ok).length,
    failed,
    calls,
    outputs: outputs.length,
    audioSeconds,
    packets: outputs.reduce((n, o) => n + o.packets, 0),
    lost: outputs.reduce((n, o) => n + o.lost, 0),
    duplicates: outputs.reduce((n, o) => n + o.duplicates, 0),
    elapsedSeconds,
    realtimeFactor: elapsedSeconds > 0 ? audioSeconds / elapsedSeconds : 0,
    maxInFlight,
    reports,
  };
}
