// Piscina worker: converts one capture. Runs the same code as the single-threaded converter, so results are identical.
import { convertCapture } from '../src/convert/convert-capture.js';
import type { ConvertOptions, FileReport } from '../src/convert/convert-capture.js';
import type { ByteProgressSlot } from '../src/convert/pool.js';

export interface ConvertJob {
  readonly input: string;
  readonly options: ConvertOptions;
  /** Shared counters where the bytes read of this capture are kept for the progress bar. */
  readonly progress?: ByteProgressSlot;
}

export default async function convertJob(job: ConvertJob): Promise<FileReport> {
  const progress = job.progress;
  return convertCapture(job.input, job.options, progress ? { onBytesRead: (bytes) => Atomics.store(progress.counters, progress.slot, BigInt(bytes)) } : {});
}
