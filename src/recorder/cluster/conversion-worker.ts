/**
 * `recorder worker`'s engine: takes conversion jobs from the queue and runs them, as many at once as it has
 * threads (a ConversionPool of worker threads; one in this thread when 1). Each try writes into a folder of its
 * own, so a try that a stalled worker still finishes late never mixes with the one that replaced it. A sealed
 * capture is opened and its recording sealed with this worker's own keys ([encryption] of its configuration).
 */
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { ConversionPool, convertCapture } from '../convert/index.js';
import type { ConvertEncryption, ConvertOptions, FileReport } from '../convert/index.js';
import type { ClusterSettings } from './connection.js';
import { describeRedis, redisConnection } from './connection.js';
import type { ConversionJobData } from './conversion-queue.js';

export interface ConversionWorkerOptions {
  readonly settings: ClusterSettings;
  /** Conversions at once (threads); default 1. */
  readonly concurrency?: number;
  /** The keys of this machine's configuration, for sealed captures. */
  readonly keys?: ConvertEncryption;
  /** Threads shared with the workers of other tenants' queues (kept open at close); default: its own when concurrency > 1. */
  readonly pool?: ConversionPool;
  readonly log: Logger;
}

export interface RunningConversionWorker {
  readonly where: string;
  /** Jobs this worker finished (for the tests and the log). */
  readonly done: () => number;
  /** Stop taking jobs, let the running ones finish, close. */
  close(): Promise<void>;
}

export async function startConversionWorker(options: ConversionWorkerOptions): Promise<RunningConversionWorker> {
  const { settings, log } = options;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const ownPool = !options.pool && concurrency > 1 ? new ConversionPool({ workers: concurrency }) : undefined;
  const pool = options.pool ?? ownPool;
  const where = describeRedis(settings);
  let done = 0;
  const process = async (job: Job<ConversionJobData, FileReport>): Promise<FileReport> => {
    const { input, sealed } = job.data;
    // A capture this machine cannot see is a set-up fault (the work folder not mounted at the same path), not a bad
    // capture: thrown, so the job is tried again (elsewhere) instead of being reported as a failed conversion.
    await access(input).catch((error: unknown) => {
      throw new Error(`${input}: not readable on ${hostname()} (${(error as NodeJS.ErrnoException).code ?? String(error)}); every worker must see the store's work folder at the same path`);
    });
    if (sealed && !options.keys) throw new Error(`${input} is sealed and the worker on ${hostname()} has no keys: set [encryption] keyFiles in its configuration`);
    const outDir = join(job.data.outDir, `try-${job.attemptsMade + 1}-${randomBytes(4).toString('hex')}`);
    const convertOptions: ConvertOptions = { ...job.data.options, outDir, ...(sealed && options.keys ? { encryption: options.keys } : {}) };
    const began = Date.now();
    const report = pool ? await pool.convert(input, convertOptions) : await convertCapture(input, convertOptions);
    done++;
    log.info({ job: job.id, ok: report.ok, ms: Date.now() - began, outputs: report.outputs.length, ...(report.error ? { error: report.error } : {}) }, 'conversion done');
    return report;
  };
  const lockMs = settings.lockSeconds * 1000;
  const worker = new Worker<ConversionJobData, FileReport>(settings.queue, process, {
    // Kept on every job it takes (processedBy): which machine and process converted what.
    name: `${hostname()}:${globalThis.process.pid}`,
    connection: redisConnection(settings),
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A worker killed mid-job leaves it stalled: tried again, as many times as a failing conversion.
    maxStalledCount: settings.attempts,
  });
  worker.on('error', (error) => log.warn({ reason: error.message }, 'job queue connection'));
  worker.on('failed', (job, error) => log.warn({ job: job?.id, attempt: job?.attemptsMade, reason: error.message }, 'conversion job failed'));
  await worker.waitUntilReady();
  log.info({ queue: where, concurrency }, 'conversion worker ready');
  return {
    where,
    done: () => done,
    close: async () => {
      await worker.close();
      await ownPool?.destroy();
    },
  };
}
