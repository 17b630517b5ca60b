/**
 * The service's side of the conversion jobs (BullMQ on Redis): one job per capture, its id the capture's name, so
 * a step run again after a crash finds the job it started (waiting, running, or done with its recording on disk)
 * instead of converting twice. A worker that dies mid-job loses its lock and the job goes to another worker; a
 * conversion that fails on every try ends in the failed list (the dead letters `recorder status` shows) and its
 * capture is quarantined. Redis away is no failure of the capture: the step throws ClusterUnavailableError, the
 * capture stays on the drive, and the step runs again later.
 */
import { access, rm } from 'node:fs/promises';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { ConvertOptions, FileReport } from '../convert/index.js';
import type { ClusterSettings } from './connection.js';
import { describeRedis, redisConnection } from './connection.js';

export const CONVERSION_JOB = 'convert';

/** What a worker is given: plain JSON (keys never travel: a worker seals and opens with its own configuration's). */
export interface ConversionJobData {
  readonly input: string;
  /** The job's folder: each try writes into a folder of its own inside. */
  readonly outDir: string;
  readonly options: Omit<ConvertOptions, 'outDir' | 'outputStem' | 'encryption' | 'landing'>;
  /** The capture is (or its recording must be) sealed: the worker needs [encryption] keys. */
  readonly sealed: boolean;
}

export class ClusterUnavailableError extends Error {
  constructor(
    readonly where: string,
    reason: string,
  ) {
    super(`the job queue (${where}) is not reachable: ${reason}`);
    this.name = 'ClusterUnavailableError';
  }
}

export interface DeadLetter {
  readonly capture: string;
  readonly reason: string;
  readonly at: string;
  readonly attempts: number;
}

/** The queue as `recorder status` shows it. */
export interface ClusterStatus {
  readonly redis: string;
  readonly reachable: boolean;
  readonly error?: string;
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
  /** Worker connections Redis knows of (each `recorder worker` holds one per queue). */
  readonly workers: number;
  /** The latest conversions that failed on every try (their captures are in the quarantine). */
  readonly deadLetters: readonly DeadLetter[];
}

/** How long one Redis request may take before the queue is taken for unreachable. */
const REQUEST_TIMEOUT_MS = 5000;
/** Waiting for a job is done in slices, looking at its state in between (events can be missed across a Redis restart). */
const WAIT_SLICE_MS = 2000;
const DEAD_LETTERS_SHOWN = 10;

/** A job id from a capture name (BullMQ ids may not hold ':'). */
export function conversionJobId(capture: string): string {
  return `c-${capture.replace(/:/g, '_')}`;
}

export class ConversionQueue {
  readonly #settings: ClusterSettings;
  readonly #queue: Queue<ConversionJobData, FileReport>;
  readonly #events: QueueEvents;
  readonly where: string;

  constructor(settings: ClusterSettings) {
    this.#settings = settings;
    this.where = describeRedis(settings);
    const connection = redisConnection(settings);
    // The service's own requests fail fast while Redis is away (the step waits and runs again); the event stream
    // blocks and reconnects by itself.
    this.#queue = new Queue(settings.queue, { connection: { ...connection, enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
    this.#events = new QueueEvents(settings.queue, { connection });
    // Connection errors surface through the requests that fail; unhandled 'error' events would end the process.
    this.#queue.on('error', () => undefined);
    this.#events.on('error', () => undefined);
    // Every capture waiting for its job listens for the end of the event stream: hundreds at once are normal here.
    this.#queue.setMaxListeners(0);
    this.#events.setMaxListeners(0);
  }

  async #request<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what}: no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      throw new ClusterUnavailableError(this.where, error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The conversion of one capture by the workers: the job of an earlier run when it is still under way or done
   * (with its recording still there), else a new one. Resolves with the worker's report (a failure on every try
   * is a report with ok false); rejects with ClusterUnavailableError while Redis does not answer.
   */
  async convert(capture: string, data: ConversionJobData, signal?: AbortSignal): Promise<FileReport> {
    const jobId = conversionJobId(capture);
    // Listened to for this call only: the service's stop signal lives as long as the service, conversions come and go.
    let onAbort: (() => void) | undefined;
    const aborted = signal ? new Promise<void>((resolve) => signal.addEventListener('abort', (onAbort = () => resolve()), { once: true })) : undefined;
    try {
      return await this.#convert(jobId, data, signal, aborted);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  async #convert(jobId: string, data: ConversionJobData, signal: AbortSignal | undefined, aborted: Promise<void> | undefined): Promise<FileReport> {
    // Whether the job in hand is one this call started or waited for: its end is the answer, recording or not.
    let awaited = false;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      // Listening before the state is read: a job that ends in between is not waited for a whole slice.
      const notice = this.#endNotice(jobId, WAIT_SLICE_MS);
      try {
        const answer = await this.#step(jobId, data, awaited, notice.ended, aborted);
        if (answer) return answer;
      } finally {
        notice.cancel();
      }
      awaited = true;
    }
  }

  /** One look at the job: its report when that is the answer; else the job is (re)started and waited for a while. */
  async #step(jobId: string, data: ConversionJobData, awaited: boolean, ended: Promise<void>, aborted: Promise<void> | undefined): Promise<FileReport | undefined> {
    const job = await this.#request('reading the job', () => Job.fromId<ConversionJobData, FileReport>(this.#queue, jobId));
    const state = job ? await this.#request('reading the job state', () => job!.getState()) : 'unknown';
    // A finished job answers only with its recording: a failure (the worker's disk full, say) is not replayed to
    // the step that asks again, which wants a new try.
    if (job && state === 'completed' && job.returnvalue && (awaited || (await outputsPresent(job.returnvalue)))) return job.returnvalue;
    if (job && state === 'failed') return failedReport(data.input, job, this.#settings.attempts);
    if (!job || state === 'unknown' || state === 'completed') {
      // None yet, lost with a Redis that kept nothing, done without a recording, or done but its recording cleared
      // since: converted anew.
      if (job) await this.#request('removing a finished job', () => job.remove());
      await rm(data.outDir, { recursive: true, force: true });
      await this.#request('adding the job', () =>
        this.#queue.add(CONVERSION_JOB, data, {
          jobId,
          attempts: this.#settings.attempts,
          backoff: { type: 'exponential', delay: 1000 },
          // Kept a while (a service restarted between a job's end and its journal finds it), not for ever.
          removeOnComplete: { age: 3600, count: 5000 },
          removeOnFail: { age: 30 * 24 * 3600 },
        }),
      );
    }
    await (aborted ? Promise.race([ended, aborted]) : ended);
    return undefined;
  }

  /**
   * A promise that resolves when the job's end is announced on the event stream, or after `ms` (then the job is
   * looked at again). Not BullMQ's Job.waitUntilFinished: its look at the job runs inside a promise executor, so
   * a Redis that drops the connection then fails it as an unhandled rejection, which ends the process.
   */
  #endNotice(jobId: string, ms: number): { ended: Promise<void>; cancel: () => void } {
    let done: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (done = resolve));
    const events = [`completed:${jobId}`, `failed:${jobId}`] as const;
    const timer = setTimeout(() => done(), ms);
    const onEnd = (): void => done();
    for (const event of events) this.#events.on(event as 'completed', onEnd);
    return {
      ended,
      cancel: () => {
        clearTimeout(timer);
        for (const event of events) this.#events.off(event as 'completed', onEnd);
        done();
      },
    };
  }

  /** Counts, workers and the latest dead letters; never rejects (an unreachable queue says so). */
  async status(): Promise<ClusterStatus> {
    try {
      return await this.#request('reading the counts', async () => {
        const counts = await this.#queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        const workers = await this.#queue.getWorkersCount();
        const failed = await this.#queue.getFailed(0, DEAD_LETTERS_SHOWN - 1);
        return {
          redis: this.where,
          reachable: true,
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
          workers,
          deadLetters: failed.map((job) => ({
            capture: job.id?.replace(/^c-/, '') ?? job.name,
            reason: job.failedReason ?? '',
            at: new Date(job.finishedOn ?? job.timestamp).toISOString(),
            attempts: job.attemptsMade,
          })),
        };
      });
    } catch (error) {
      return { redis: this.where, reachable: false, error: error instanceof Error ? error.message : String(error), waiting: 0, active: 0, delayed: 0, failed: 0, workers: 0, deadLetters: [] };
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#events.close(), this.#queue.close()]);
  }
}

async function outputsPresent(report: FileReport): Promise<boolean> {
  if (report.outputs.length === 0) return false;
  for (const output of report.outputs) {
    try {
      await access(output.path);
    } catch {
      return false;
    }
  }
  return true;
}

function failedReport(input: string, job: Job<ConversionJobData, FileReport>, attempts: number): FileReport {
  const reason = job.failedReason || 'no reason given';
  return { input, ok: false, error: `conversion failed on the workers (${job.attemptsMade} of ${attempts} tries): ${reason}`, warnings: [], calls: 0, streams: 0, outputs: [] };
}
