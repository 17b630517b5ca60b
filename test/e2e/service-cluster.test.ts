// Conversions as jobs on BullMQ over a real Redis (Debian's redis-server on loopback), run by two `recorder worker`
// processes beside `recorder run`'s service: workers killed with SIGKILL as they take jobs until ten jobs were
// caught in the middle, and Redis killed once; every call is recorded once, whole, nothing is quarantined, no job is left failed.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue, QueueEvents } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { conversionJobId } from '../../src/recorder/cluster/index.js';
import { expectAllRecorded, plainCalls, startFaultPair } from './helpers/fault-pair.js';
import type { FaultPair } from './helpers/fault-pair.js';
import { serviceConfigInput, until } from './helpers/service-harness.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'test/helpers/run-cli.ts');

let pair: FaultPair | undefined;
let redis: TestRedis | undefined;
const workers = new Set<ChildProcess>();
afterEach(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  workers.clear();
  await pair?.close();
  pair = undefined;
  await redis?.stop();
  redis = undefined;
});

function startWorker(config: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker', '-c', config, '--concurrency', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  child.once('exit', (code, signal) => {
    workers.delete(child);
    if (signal !== 'SIGKILL' && signal !== 'SIGTERM' && code !== 0) console.error(`worker exited ${code}: ${err}`);
  });
  workers.add(child);
  return child;
}

describe('recorder run with conversions on BullMQ and two recorder worker processes', () => {
  it('workers killed with SIGKILL until ten jobs were caught under way, and Redis killed once: every call recorded once, whole; no job failed', { timeout: 240_000 }, async () => {
    redis = await startRedis();
    const cluster = { redis: redis.url, lockSeconds: 2, attempts: 20, queue: 'e2e' };
    const calls = plainCalls(60, 1.5).map((call) => ({ ...call, talkSeconds: 60 }));
    pair = await startFaultPair({ scenario: { seed: 51, calls }, speed: 10, config: { cluster } });
    const p = pair;
    const workerConfig = join(p.base, 'worker.json');
    writeFileSync(workerConfig, JSON.stringify(serviceConfigInput(p.base, p.endpoints, { cluster })));
    const byName = new Map<string, ChildProcess>();
    const launch = (): void => {
      const child = startWorker(workerConfig);
      byName.set(`${child.pid}`, child);
    };
    launch();
    launch();
    // The test watches the queue as an operator's tool would: which worker took which job.
    const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
    const queue = new Queue(cluster.queue, { connection });
    const events = new QueueEvents(cluster.queue, { connection });
    queue.on('error', () => undefined);
    events.on('error', () => undefined);
    let stalled = 0;
    events.on('stalled', () => stalled++);
    // A worker is killed as it takes a job, until ten jobs were caught under way (found stalled): a conversion of a
    // minute's call takes a few tens of ms, so some kills land just after the job was done.
    let kills = 0;
    let killing = false;
    const caughtTen = until(() => stalled >= 10, 200_000, 'ten jobs caught under way by a kill', 100);
    void caughtTen.catch(() => undefined);
    {
      events.on('active', ({ jobId }) => {
        if (stalled >= 10 || killing) return;
        killing = true;
        void Job.fromId(queue, jobId).then((job) => {
          const pid = job?.processedBy?.split(':').pop();
          const child = pid ? byName.get(pid) : undefined;
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          kills++;
          launch();
        }).finally(() => (killing = false));
      });
    }
    try {
      const run = p.pbx.run();
      await until(() => stalled >= 5, 120_000, 'five jobs caught under way by a kill');
      // Redis goes away (SIGKILL) with jobs in it, and comes back with them (its append-only file).
      await redis.kill();
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
      await caughtTen;
      expect((await run).failures).toEqual([]);
      await p.drained(120_000);
      const counts = await queue.getJobCounts('failed', 'waiting', 'active', 'delayed');
      const queueAway = p.records.filter((r) => r.msg === 'the job queue is not reachable: conversions wait').length;
      console.log(`cluster: ${kills} workers killed as they took a job, ${stalled} of those jobs caught under way (found stalled, given to another worker), Redis killed once (${queueAway} outage(s) seen by the service); ${p.filed.length} recordings; queue ${JSON.stringify(counts)}`);
      expect(counts).toEqual({ failed: 0, waiting: 0, active: 0, delayed: 0 });
      expect(stalled).toBeGreaterThanOrEqual(10);
      await expectAllRecorded(p);
      // recorder status shows the queue: the workers connected, nothing waiting or failed.
      let text = '';
      await until(async () => {
        text = (await runInProcess(['status', '-c', workerConfig])).stdout;
        return /Job queue redis:\/\/127\.0\.0\.1:\d+\/0 queue e2e: [1-9]\d* worker connection\(s\); 0 waiting, 0 converting, 0 to retry, 0 failed/.test(text);
      }, 20_000, `recorder status showing the queue drained; last: ${text}`);
      // Every recording came from a job (none converted in the service).
      for (const event of p.filed) expect(await Job.fromId(queue, conversionJobId(event.capture)), event.capture).toBeDefined();
    } finally {
      await events.close();
      await queue.close();
    }
  });
});
