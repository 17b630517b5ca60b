// Piscina worker: converts one capture. Runs the same code as the single-threaded converter, so results are identical.
import { convertCapture } from '../src/convert/convert-capture.js';
import type { ConvertOptions, FileReport } from '../src/convert/convert-capture.js';

export interface ConvertJob {
  readonly input: string;
  readonly options: ConvertOptions;
}

export default async function convertJob(job: ConvertJob): Promise<FileReport> {
  return convertCapture(job.input, job.options);
}
