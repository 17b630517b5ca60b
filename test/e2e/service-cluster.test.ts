// The platform under load and faults: `recorder run` for three tenants and two `recorder worker` processes on
// BullMQ over a real Redis (Debian's redis-server on loopback), 300 calls as MP3. Workers are killed with SIGKILL as
// they take jobs, ten times, and Redis is killed once (its append-only file keeps the jobs);
// every tenant's calls are recorded once, whole, in its own store (West's in an S3-compatible bucket, s3rver on
// loopback); no job is left failed; recorder status shows the queue.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import type { EmbeddedPbx } from '../../src/embedded/index.js';
import { plainCalls } from './helpers/fault-pair.js';
import { until } from './helpers/service-harness.js';
import { auditTenant, makeTenant, startCli, tenantBacklog, tenantDrained } from './helpers/tenants.js';
import type { Tenant } from './helpers/tenants.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { startS3 } from '../helpers/s3.js';
import type { S3Server } from '../helpers/s3.js';

const base = mkdtempSync(join(tmpdir(), 'cluster-'));
const children = new Set<ChildProcess>();
const pbxs: EmbeddedPbx[] = [];
let redis: TestRedis | undefined;
let s3: S3Server | undefined;
const tenants: Tenant[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.allSettled(pbxs.map((pbx) => pbx.stop()));
  await redis?.stop();
  for (const tenant of tenants) tenant.bucket?.close();
  await s3?.stop();
  if (!process.env.KEEP_TEST_FILES) rmSync(base, { recursive: true, force: true });
});

describe('recorder run for three tenants with two recorder worker processes on BullMQ', () => {
  it('300 calls; workers killed ten times as they take a job, Redis killed once: every call recorded once, whole, in its tenant’s store', { timeout: 480_000 }, async () => {
    redis = await startRedis();
    s3 = await startS3(['platform']);
    const bucket = { endpoint: s3.endpoint, name: 'platform', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
    for (const [i, name] of ['north', 'south', 'west'].entries()) {
      // A call a second per tenant, 10 s each, as MP3 (south: Opus): a conversion takes long enough (~0.1 s) for a
      // kill to land in it, and the whole run stays light enough for a loaded 2-core machine. West keeps its
      // recordings in a bucket.
      const tenant = await makeTenant(base, name, {
        redis: redis.url,
        seed: 70 + i,
        speed: 20,
        format: i === 1 ? 'opus' : 'mp3',
        // North's status endpoint on a port of its own choosing (found in its log): a port picked beforehand could
        // be taken by a test running beside this one before the platform, slow to start on a loaded machine, listens.
        ...(i === 0 ? { statusPort: 0 } : {}),
        ...(i === 2 ? { bucket } : {}),
        calls: plainCalls(100, 1).map((call) => ({ ...call, talkSeconds: 10 })),
      });
      pbxs.push(tenant.pbx);
      tenants.push(tenant);
    }
    const configs = tenants.flatMap((tenant) => ['-c', tenant.configPath]);
    startCli(base, ['run', ...configs], 'platform', children);
    const workers = new Map<string, ChildProcess>();
    let launched = 0;
    /** A worker process; resolves once it serves all three queues. */
    const launch = async (): Promise<void> => {
      const name = `worker-${++launched}`;
      const child = startCli(base, ['worker', ...configs, '--concurrency', '1'], name, children);
      workers.set(String(child.pid), child);
      const log = join(base, `${name}.log`);
      await until(() => existsSync(log) && (readFileSync(log, 'utf8').match(/conversion worker ready/g) ?? []).length === tenants.length, 150_000, `${name} ready`, 100);
    };
    await Promise.all([launch(), launch()]);

    // The test watches the queues as an operator's tool would: which worker took which job.
    const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
    const watched = tenants.map((tenant) => {
      const queue = new Queue(`calls-${tenant.name}`, { connection });
      const events = new QueueEvents(`calls-${tenant.name}`, { connection });
      queue.on('error', () => undefined);
      events.on('error', () => undefined);
      return { queue, events };
    });
    let stalled = 0;
    let kills = 0;
    let killing = false;
    /** The jobs whose worker was killed: caught under way when the job was found stalled afterwards. */
    const killedJobs: Array<{ queue: Queue; id: string }> = [];
    const caughtUnderWay = async (): Promise<number> => {
      let caught = 0;
      for (const { queue, id } of killedJobs) if (((await Job.fromId(queue, id).catch(() => undefined))?.stalledCounter ?? 0) > 0) caught++;
      return caught;
    };
    for (const { queue, events } of watched) {
      events.on('stalled', () => stalled++);
      events.on('active', ({ jobId }) => {
        if (kills >= 10 || killing) return;
        killing = true;
        void Job.fromId(queue, jobId)
          .then((job) => {
            const child = workers.get(job?.processedBy?.split(':').pop() ?? '');
            if (!child || child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGKILL');
            killedJobs.push({ queue, id: jobId });
            kills++;
            // The replacement is not waited for: a worker taking its first job may be the next one killed, so the
            // queue keeps a backlog on any machine; the killed jobs wait (locked) until a live worker finds them.
            void launch().catch(() => undefined);
          })
          .catch(() => undefined)
          .finally(() => (killing = false));
      });
    }
    const began = Date.now();
    const phase = (what: string) => console.log(`cluster: ${what} at ${((Date.now() - began) / 1000).toFixed(1)} s`);
    try {
      const runs = Promise.all(tenants.map((tenant) => tenant.pbx.run()));
      void runs.then(() => phase('the PBXs done'));
      await until(() => kills >= 5, 150_000, 'five workers killed', 100);
      // Redis goes away (SIGKILL) with jobs in it, and comes back with them.
      await redis.kill();
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
      phase('Redis back');
      await until(() => kills >= 10, 150_000, 'ten workers killed', 100);
      phase('ten killed');
      for (const result of await runs) expect(result.failures).toEqual([]);
      phase('calls over');
      for (const [i, tenant] of tenants.entries()) {
        await until(() => tenantDrained(tenant), 240_000, `${tenant.name}'s calls all recorded`).catch(async (error: unknown) => {
          const counts = await watched[i]!.queue.getJobCounts('failed', 'waiting', 'active', 'delayed', 'completed').catch((e: unknown) => String(e));
          const platformLog = readFileSync(join(base, 'platform.log'), 'utf8').trimEnd().split('\n').slice(-12).map((line) => `  | ${line.slice(0, 300)}`);
          throw new Error(`${(error as Error).message}\n${await tenantBacklog(tenant)}\n  queue: ${JSON.stringify(counts)}\n  platform.log, last lines:\n${platformLog.join('\n')}`);
        });
      }
      phase('drained');

      const counts: string[] = [];
      for (const [i, tenant] of tenants.entries()) {
        const audit = await auditTenant(tenant);
        expect(audit, tenant.name).toMatchObject({ filed: audit.expected, lost: [], duplicated: [], unexpected: [], corrupt: [], truncated: [], withoutSidecar: [], ...(tenant.bucket ? { leftInTree: 0 } : {}) });
        expect(await watched[i]!.queue.getJobCounts('failed', 'waiting', 'active', 'delayed'), tenant.name).toEqual({ failed: 0, waiting: 0, active: 0, delayed: 0 });
        counts.push(`${tenant.name} ${audit.filed}`);
      }
      phase('audited');
      const caught = await caughtUnderWay();
      console.log(`cluster: 300 calls, ${counts.join(', ')} recordings; ${kills} workers killed as they took a job, ${caught} of them with the job under way; ${stalled} jobs found stalled in all (with the Redis outage's) and given to another worker; Redis killed once`);
      // A kill that came a moment after its job was done catches nothing; nearly all land in the conversion.
      expect(caught).toBeGreaterThanOrEqual(8);

      // recorder status shows the tenant's queue: workers connected, nothing waiting or failed.
      let text = '';
      await until(async () => {
        text = (await runInProcess(['status', '-c', tenants[0]!.configPath])).stdout;
        return /Job queue redis:\/\/127\.0\.0\.1:\d+\/0 queue calls-north: [1-9]\d* worker connection\(s\); 0 waiting, 0 converting, 0 to retry, 0 failed/.test(text);
      }, 20_000, `recorder status showing the queue drained; last: ${text}`);
      // And the metrics a monitoring stack scrapes.
      const statusUrl = readFileSync(join(base, 'platform.log'), 'utf8')
        .split('\n')
        .map((line) => /"tenant":"north".*"url":"([^"]+)".*status endpoint/.exec(line)?.[1])
        .find((url) => url !== undefined);
      expect(statusUrl, 'north\'s status endpoint in the platform log').toBeDefined();
      const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
      expect(metrics).toMatch(/^recorder_queue_reachable 1$/m);
      expect(metrics).toMatch(/^recorder_queue_jobs\{state="failed"\} 0$/m);
      expect(metrics).toMatch(/^recorder_queue_jobs\{state="waiting"\} 0$/m);
      expect(Number(/^recorder_queue_workers (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    } finally {
      for (const { queue, events } of watched) {
        await events.close();
        await queue.close();
      }
    }
  });
});
