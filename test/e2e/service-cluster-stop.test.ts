// A service whose conversions wait in the job queue with no worker running stops at once when told (Ctrl-C,
// SIGTERM) instead of waiting for ever; started again with a worker, it records every call once.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { startConversionWorker } from '../../src/recorder/cluster/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import { plainCalls, startFaultPair } from './helpers/fault-pair.js';
import type { FaultPair } from './helpers/fault-pair.js';
import { auditStore, until } from './helpers/service-harness.js';
import { startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

let pair: FaultPair | undefined;
let redis: TestRedis | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
  await redis?.stop();
  redis = undefined;
});

describe('recorder run with [cluster] and no worker', () => {
  it('stops at once while captures wait for conversion, and records them all once a worker runs', { timeout: 120_000 }, async () => {
    redis = await startRedis();
    const cluster = { redis: redis.url, queue: 'stop', lockSeconds: 2 };
    pair = await startFaultPair({ scenario: { seed: 81, calls: plainCalls(4, 2) }, config: { cluster } });
    const p = pair;
    expect((await p.pbx.run()).failures).toEqual([]);
    const queue = new Queue(cluster.queue, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      await until(async () => (await queue.getJobCounts('waiting')).waiting >= 1, 30_000, 'a conversion waiting in the queue');
      // No worker: the steps wait on their jobs. Stopping lets go of them (a hang fails the test's time limit).
      const stopped = p.service.stop().then(() => 'stopped');
      const hung = new Promise((resolve) => setTimeout(() => resolve('still waiting after 20 s'), 20_000).unref());
      expect(await Promise.race([stopped, hung])).toBe('stopped');
      expect(p.onDrive().length, 'captures stay on the drive').toBeGreaterThan(0);

      // Started again, with a worker: the queued jobs are found, nothing is converted twice, every call recorded.
      const worker = await startConversionWorker({ settings: p.config.cluster!, log: pino({ level: 'silent' }) });
      const again = new RecorderService({ config: p.config, logger: pino({ level: 'silent' }), pollMs: 200, settleMs: 600, endedSettleMs: 150 });
      try {
        await again.start();
        await until(() => p.onDrive().length === 0 && again.status().pending === 0, 60_000, 'every capture processed after the restart');
        const expected = p.expected();
        const toFile = expected.filter((e) => e.agent !== null);
        expect(await auditStore(p.config.storage.root, expected)).toMatchObject({ filed: toFile.length, lost: [], duplicated: [], unexpected: [], corrupt: [] });
        expect(worker.done()).toBe(toFile.length);
      } finally {
        await again.stop();
        await worker.close();
      }
    } finally {
      await queue.close();
    }
  });
});
