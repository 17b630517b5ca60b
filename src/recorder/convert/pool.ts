import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ConvertOptions, FileReport } from './convert-capture.js';

export interface PoolOptions {
  /** Worker threads (default: the number of cores). */
  readonly workers?: number;
  /** A job running longer than this is failed and its worker replaced (default 10 minutes). */
  readonly jobTimeoutMs?: number;
  /** Another worker module (tests inject faults this way). A .ts file runs through tsx. */
  readonly workerFile?: URL;
}

/**
 * Where a worker reports its progress in shared counters (shared memory crosses into threads): at
 * `2 * slot` the bytes of the capture read, at `2 * slot + 1` millionths of its recordings written.
 */
export interface ByteProgressSlot {
  readonly counters: BigInt64Array;
  readonly slot: number;
}

/** The worker module: TypeScript through tsx when running from source (tests), compiled JS otherwise. */
function workerLocation(override?: URL): { filename: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = override ?? new URL(fromSource ? '../../../workers/convert-worker.ts' : '../../../workers/convert-worker.js', import.meta.url);
  return { filename: url.href, execArgv: url.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [] };
}

/**
 * Converts captures in a pool of worker threads (piscina). A job that throws,
 * crashes its worker or runs past the time limit comes back as a failed
 * report naming the reason; the pool replaces the worker and carries on.
 */
export class ConversionPool {
  private readonly pool: Piscina;
  private readonly timeoutMs: number;
  readonly size: number;

  constructor(options: PoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? availableParallelism());
    this.timeoutMs = options.jobTimeoutMs ?? 10 * 60 * 1000;
    const { filename, execArgv } = workerLocation(options.workerFile);
    this.pool = new Piscina({ filename, execArgv, minThreads: this.size, maxThreads: this.size, idleTimeout: 60_000 });
  }

  /**
   * Convert one capture; never rejects for a bad job (the report says what failed). With `progress`, the
   * worker keeps the bytes it has read of the capture in that slot of the shared counters.
   */
  async convert(input: string, options: ConvertOptions, signal?: AbortSignal, progress?: ByteProgressSlot): Promise<FileReport> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      return (await this.pool.run({ input, options, ...(progress ? { progress } : {}) }, { signal: abort })) as FileReport;
    } catch (error) {
      const reason = timeout.aborted
        ? `conversion did not finish within ${Math.round(this.timeoutMs / 1000)} s; stopped`
        : signal?.aborted
          ? 'conversion cancelled'
          : `conversion worker failed: ${error instanceof Error ? error.message : String(error)}`;
      return { input, ok: false, error: reason, warnings: [], calls: 0, streams: 0, outputs: [] };
    }
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
