import { collectInputs } from './inputs.js';
import { convertCapture } from './convert-capture.js';
import type { ConvertOptions, FileReport } from './convert-capture.js';

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
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    options.onProgress?.({ filesDone: i, filesTotal: files.length, calls, audioSeconds, failed, current: file });
    const report = await convertCapture(file, options);
    reports.push(report);
    calls += report.calls;
    audioSeconds += report.outputs.reduce((n, o) => n + o.durationSeconds, 0);
    if (!report.ok) failed++;
    options.onFile?.(report);
  }
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
    reports,
  };
}
