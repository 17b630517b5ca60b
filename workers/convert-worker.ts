// Piscina worker: converts one capture. Runs the same code as the single-threaded converter, so results are identical.
import { convertCapture } from '../src/recorder/convert/convert-capture.js';
import type { ConvertOptions, FileReport } from '../src/recorder/convert/convert-capture.js';
import type { ByteProgressSlot } from '../src/recorder/convert/pool.js';

export interface ConvertJob {
  readonly input: string;
  readonly options: ConvertOptions;
  /** Shared counters where the bytes read of this capture are kept for the progress bar. */
  readonly progress?: ByteProgressSlot;
}

export default async function convertJob(job: ConvertJob): Promise<FileReport> {
  const progress = job.progress;
  if (!progress) return convertCapture(job.input, job.options);
  // Two counters per job: bytes read, and millionths of its recordings written.
  return convertCapture(job.input, job.options, {
    onBytesRead: (bytes) => Atomics.store(progress.counters, 2 * progress.slot, BigInt(bytes)),
    onWritten: (fraction) => Atomics.store(progress.counters, 2 * progress.slot + 1, BigInt(Math.round(fraction * 1e6))),
  });
}
