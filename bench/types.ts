/** One line of the benchmark table: our figure beside the native tool's, measured in the same run. */
export interface BenchRow {
  /** What was measured, e.g. "G.711 pcap → stereo WAV". */
  readonly task: string;
  /** Unit of `ours` and `native`, e.g. "x realtime", "MB/s". Higher is better. */
  readonly unit: string;
  readonly ours: number;
  /** The native tool's figure on the same input in the same run, when there is one. */
  readonly native?: number;
  /** Name and invocation of the native tool, e.g. "ffmpeg -f alaw". */
  readonly nativeTool?: string;
  /** Peak RSS in MB of our side, when measured. */
  readonly peakRssMb?: number;
  /** Free-text note: input size, where the time goes. */
  readonly note?: string;
}

/** A benchmark module: bench/run.ts imports each and calls run(). */
export type BenchSuite = () => Promise<BenchRow[]>;
