import { access, constants, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { collectInputs, planOutputStems } from './inputs.js';
import { convertCapture } from './convert-capture.js';
import type { ConvertOptions, FileReport } from './convert-capture.js';
import { ConversionPool } from './pool.js';
import type { PoolOptions } from './pool.js';
import { namesIn } from '../../platform/util/index.js';

export interface BatchProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  /** Bytes of capture read, over all inputs (finished ones whole, running ones as far as read). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Share of the batch done, 0 to 1, by bytes: reading a capture is half its work, writing its recordings the other half. */
  readonly workDone: number;
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
  /** Stops the batch: running jobs are abandoned, their partial outputs removed, the rest reported as cancelled. */
  readonly signal?: AbortSignal;
  /** How often progress is reported while pool jobs run (ms, default 250). */
  readonly progressIntervalMs?: number;
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
  /** The batch was stopped (signal) before every capture was converted. */
  readonly interrupted: boolean;
  /** Files met in the named folders that are not captures by name (not converted). */
  readonly ignored: string[];
  readonly reports: FileReport[];
}

function failedReport(input: string, error: string): FileReport {
  return { input, ok: false, error, warnings: [], calls: 0, streams: 0, outputs: [] };
}

/** A tag unique to this run, in the names of its temporary files: `<pid>-<random>`. */
function newRunTag(): string {
  return `${process.pid}-${randomBytes(3).toString('hex')}`;
}

const TAGGED_PARTIAL = /\.(\d+)-[0-9a-f]{6}\.[0-9a-f]{8}\.partial$/;
const TAGGED_SCRATCH = /^recorder-seal-(\d+)-[0-9a-f]{6}-/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove temporary files of converter runs: those of `tag` (this run, after a stop), or with no tag, those of
 * runs whose process is gone (killed with -9 or a power cut). Output folders and the scratch folders in tmp.
 */
async function removeLeftovers(folders: Iterable<string>, tag?: string): Promise<number> {
  let removed = 0;
  const mine = (pid: string, name: string): boolean => (tag !== undefined ? name.includes(`.${tag}.`) || name.startsWith(`recorder-seal-${tag}-`) : !processAlive(Number(pid)));
  for (const folder of folders) {
    for (const name of await namesIn(folder)) {
      const match = TAGGED_PARTIAL.exec(name);
      if (match && mine(match[1]!, name)) {
        await rm(join(folder, name), { force: true });
        removed++;
      }
    }
  }
  let scratch: string[] = [];
  try {
    scratch = await readdir(tmpdir());
  } catch {
    // no temp folder to look in
  }
  for (const name of scratch) {
    const match = TAGGED_SCRATCH.exec(name);
    if (match && mine(match[1]!, name)) {
      await rm(join(tmpdir(), name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/**
 * Why recordings cannot be written under `folder` (checked on its nearest existing ancestor, once per folder;
 * nothing is created), or undefined.
 */
async function writableProblem(folder: string, cache: Map<string, Promise<string | undefined>>): Promise<string | undefined> {
  let known = cache.get(folder);
  if (!known) {
    known = (async () => {
      let probe = folder;
      for (;;) {
        try {
          const info = await stat(probe);
          if (!info.isDirectory()) return `cannot write recordings to ${folder}: ${probe} is a file, not a folder`;
          await access(probe, constants.W_OK);
          return undefined;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' && dirname(probe) !== probe) {
            probe = dirname(probe);
            continue;
          }
          const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'permission denied' : code === 'ENOTDIR' ? 'a file is in the way' : (code ?? String(error));
          return `cannot write recordings to ${folder}: ${why}`;
        }
      }
    })();
    cache.set(folder, known);
  }
  return known;
}

/** Convert every capture named or found under the given paths. */
export async function convertAll(paths: readonly string[], options: BatchOptions = {}): Promise<BatchSummary> {
  const started = process.hrtime.bigint();
  const { onProgress, onFile, workers, pool: poolOptions, openPool, signal, progressIntervalMs, ...rest } = options;
  const { entries, missing, ignored } = await collectInputs(paths, rest.outDir !== undefined ? { skipFolder: rest.outDir } : {});
  const files = entries.map((e) => e.path);
  const stems = planOutputStems(entries, rest.outDir);
  const tag = rest.landing?.tag ?? newRunTag();
  const convertOptions: ConvertOptions = { ...rest, landing: { ...(rest.landing ?? { mode: 'replace' }), tag } };
  const folders = new Set(stems.map((stem) => dirname(stem)));
  await removeLeftovers(folders);

  const reports: FileReport[] = missing.map(({ path, reason }) => failedReport(path, reason));
  for (const report of reports) onFile?.(report);
  const bytesTotal = entries.reduce((n, e) => n + e.bytes, 0);
  let bytesFinished = 0;
  let calls = 0;
  let audioSeconds = 0;
  let failed = reports.length;
  let done = 0;
  let maxInFlight = 0;
  let current = files[0] ?? '';
  const converted: FileReport[] = new Array<FileReport>(files.length);
  // Running jobs' bytes read and work done (in bytes: half for reading, half for writing); workers keep theirs in shared counters.
  let running = (): { read: number; work: number } => ({ read: 0, work: 0 });
  const progress = (): BatchProgress => {
    const now = running();
    return {
      filesDone: done,
      filesTotal: files.length,
      bytesDone: Math.min(bytesTotal, bytesFinished + now.read),
      bytesTotal,
      workDone: bytesTotal > 0 ? Math.min(1, (bytesFinished + now.work) / bytesTotal) : done / Math.max(1, files.length),
      calls,
      audioSeconds,
      failed,
      current,
    };
  };
  const workOf = (bytes: number, read: number, written: number): number => 0.5 * Math.min(read, bytes) + 0.5 * written * bytes;
  const account = (index: number, report: FileReport): void => {
    converted[index] = report;
    done++;
    bytesFinished += entries[index]!.bytes;
    calls += report.calls;
    audioSeconds += report.outputs.reduce((n, o) => n + o.durationSeconds, 0);
    if (!report.ok) failed++;
    current = report.input;
    onFile?.(report);
    onProgress?.(progress());
  };
  const unwritable = new Map<string, Promise<string | undefined>>();
  /** A capture whose recordings cannot be written is failed without converting it. */
  const precheck = async (index: number): Promise<FileReport | undefined> => {
    const problem = await writableProblem(dirname(stems[index]!), unwritable);
    return problem !== undefined ? failedReport(files[index]!, problem) : undefined;
  };
  const jobOptions = (index: number): ConvertOptions => ({ ...convertOptions, outputStem: stems[index]! });

  onProgress?.(progress());
  if (workers === undefined && openPool === undefined) {
    for (let i = 0; i < files.length; i++) {
      if (signal?.aborted) break;
      maxInFlight = 1;
      let readNow = 0;
      let writtenNow = 0;
      const size = entries[i]!.bytes;
      running = () => ({ read: readNow, work: workOf(size, readNow, writtenNow) });
      current = files[i]!;
      const report =
        (await precheck(i)) ??
        (await convertCapture(files[i]!, jobOptions(i), {
          onBytesRead: (bytes) => {
            readNow = bytes;
            onProgress?.(progress());
          },
          onWritten: (fraction) => {
            writtenNow = fraction;
            onProgress?.(progress());
          },
        }));
      readNow = 0;
      writtenNow = 0;
      account(i, report);
    }
  } else {
    // No more threads than captures: each idle thread would still load the whole converter.
    const threads = workers !== undefined ? Math.max(1, Math.min(workers, files.length)) : undefined;
    const pool = openPool ?? new ConversionPool({ ...poolOptions, ...(threads !== undefined ? { workers: threads } : {}) });
    // Back-pressure: never more jobs in flight than twice the workers, however many files there are.
    const limit = 2 * pool.size;
    const counters = new BigInt64Array(new SharedArrayBuffer(16 * limit));
    const freeSlots = Array.from({ length: limit }, (_, i) => limit - 1 - i);
    /** The input each busy slot is converting. */
    const slotInput = new Array<number>(limit).fill(-1);
    running = () => {
      let read = 0;
      let work = 0;
      for (let slot = 0; slot < limit; slot++) {
        const index = slotInput[slot]!;
        if (index < 0) continue;
        const bytes = Number(Atomics.load(counters, 2 * slot));
        read += bytes;
        work += workOf(entries[index]!.bytes, bytes, Number(Atomics.load(counters, 2 * slot + 1)) / 1e6);
      }
      return { read, work };
    };
    const ticker = onProgress ? setInterval(() => onProgress(progress()), progressIntervalMs ?? 250) : undefined;
    try {
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; i < files.length; i++) {
        if (signal?.aborted) break;
        const slot = freeSlots.pop()!;
        const clear = (): void => {
          slotInput[slot] = -1;
          Atomics.store(counters, 2 * slot, 0n);
          Atomics.store(counters, 2 * slot + 1, 0n);
        };
        clear();
        slotInput[slot] = i;
        const job = (async () => {
          try {
            const report = (await precheck(i)) ?? (await pool.convert(files[i]!, jobOptions(i), signal, { counters, slot }));
            clear();
            account(i, report);
          } finally {
            clear();
            freeSlots.push(slot);
          }
        })();
        const tracked: Promise<void> = job.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        maxInFlight = Math.max(maxInFlight, inFlight.size);
        if (inFlight.size >= limit) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    } finally {
      if (ticker) clearInterval(ticker);
      if (pool !== openPool) await pool.destroy();
    }
  }
  const interrupted = signal?.aborted === true && converted.some((r) => r === undefined || r.error === 'conversion cancelled');
  if (signal?.aborted) {
    // Jobs stopped mid-write leave their temporary files: this run's tag finds them.
    await removeLeftovers(folders, tag);
  }
  files.forEach((file, i) => {
    if (!converted[i]) {
      failed++;
      converted[i] = failedReport(file, 'conversion cancelled');
    }
  });
  reports.push(...converted);
  current = '';
  if (!interrupted) onProgress?.({ ...progress(), filesDone: files.length, bytesDone: bytesTotal, workDone: 1 });
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
    interrupted,
    ignored,
    reports,
  };
}
