// The conversion queue against a real Redis (Debian's redis-server on loopback) and a worker in this process:
// a capture's job is found again instead of converted twice, a vanished recording is converted anew, a job that
// fails on every try is a failed report and a dead letter naming the capture, sealed captures use the worker's
// keys, and Redis away is ClusterUnavailableError, not a failed conversion.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptFile, generateKeyFile, hasContainerMagic, readKeyring } from '../../../src/platform/crypto/index.js';
import { ClusterUnavailableError, ConversionQueue, startConversionWorker } from '../../../src/recorder/cluster/index.js';
import type { ClusterSettings, ConversionJobData, RunningConversionWorker } from '../../../src/recorder/cluster/index.js';
import { until } from '../../e2e/helpers/service-harness.js';
import { startRedis } from '../../helpers/redis.js';
import type { TestRedis } from '../../helpers/redis.js';

const FIXTURE = join(import.meta.dirname, '../../../fixtures/calls/alaw-20ms-ipv4.pcap');
const dir = mkdtempSync(join(tmpdir(), 'conversion-queue-'));
const log = pino({ level: 'silent' });
let redis: TestRedis;
let settings: ClusterSettings;
let queue: ConversionQueue;
let worker: RunningConversionWorker;
let keyFile: string;

beforeAll(async () => {
  redis = await startRedis();
  settings = { redis: redis.url, queue: 'unit', attempts: 2, lockSeconds: 2 };
  keyFile = join(dir, 'system.key');
  await generateKeyFile(keyFile);
  queue = new ConversionQueue(settings);
  worker = await startConversionWorker({ settings, log, keys: { keyFiles: [keyFile], encryptOutputs: true } });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function job(name: string, input: string, sealed = false): ConversionJobData {
  return { input, outDir: join(dir, 'out', name), options: { format: 'wav', encoding: 'pcm16', mix: 'stereo', channels: { oneCall: true } }, sealed };
}

describe('ConversionQueue with recorder worker', () => {
  it('converts once: asked again (a service restarted mid-step), the finished job answers; its recording gone, it is converted anew', async () => {
    const input = join(dir, 'a.pcap');
    copyFileSync(FIXTURE, input);
    const before = worker.done();
    const report = await queue.convert('a.pcap', job('a.pcap', input));
    expect(report.ok).toBe(true);
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]!.path.startsWith(join(dir, 'out', 'a.pcap', 'try-1-'))).toBe(true);
    expect(await queue.convert('a.pcap', job('a.pcap', input))).toEqual(report);
    expect(worker.done() - before).toBe(1);
    rmSync(join(dir, 'out', 'a.pcap'), { recursive: true });
    const again = await queue.convert('a.pcap', job('a.pcap', input));
    expect(existsSync(again.outputs[0]!.path)).toBe(true);
    expect(worker.done() - before).toBe(2);
  });

  it('a conversion that gave no recording is answered once; asked again (the step retried), it is tried anew', async () => {
    const junk = join(dir, 'junk.pcap');
    writeFileSync(junk, Buffer.alloc(4096, 0x42));
    const before = worker.done();
    const first = await queue.convert('junk.pcap', job('junk.pcap', junk));
    expect(first.ok).toBe(false);
    expect(worker.done() - before).toBe(1);
    const second = await queue.convert('junk.pcap', job('junk.pcap', junk));
    expect(second.ok).toBe(false);
    expect(worker.done() - before).toBe(2);
  });

  it('a sealed capture is opened and its recording sealed with the worker’s own keys', async () => {
    const input = join(dir, 'sealed.pcap');
    const keyring = await readKeyring([keyFile]);
    await encryptFile(FIXTURE, input, keyring);
    const report = await queue.convert('sealed.pcap', job('sealed.pcap', input, true));
    expect(report.ok).toBe(true);
    expect(hasContainerMagic(readFileSync(report.outputs[0]!.path).subarray(0, 64))).toBe(true);
  });

  it('a job that fails on every try: a failed report naming why, and a dead letter naming the capture', async () => {
    const report = await queue.convert('gone.pcap', job('gone.pcap', join(dir, 'not-there.pcap')));
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/conversion failed on the workers \(2 of 2 tries\): .*not-there\.pcap: not readable on .* every worker must see the store's work folder at the same path/);
    const status = await queue.status();
    expect(status).toMatchObject({ reachable: true, failed: 1, workers: 1 });
    expect(status.deadLetters.map((d) => d.capture)).toEqual(['gone.pcap']);
  });

  it('Redis away: ClusterUnavailableError (the capture waits), the status says so; back, the queue works again', async () => {
    await redis.kill();
    try {
      const began = Date.now();
      await expect(queue.convert('b.pcap', job('b.pcap', FIXTURE))).rejects.toBeInstanceOf(ClusterUnavailableError);
      expect(Date.now() - began).toBeLessThan(15_000);
      expect(await queue.status()).toMatchObject({ reachable: false });
    } finally {
      await redis.start();
    }
    // The queue's connection comes back by itself (as the service's next try of the step finds).
    await until(async () => (await queue.status()).reachable, 20_000, 'the queue reachable again');
    const report = await queue.convert('b.pcap', job('b.pcap', FIXTURE));
    expect(report.ok).toBe(true);
  }, 60_000);

  it('Redis hung, then gone, while a conversion waits for its job: the wait fails as ClusterUnavailableError, the process goes on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    // A queue no worker serves: the conversion waits for its job's end, looking at the job every 2 s.
    const idle = new ConversionQueue({ ...settings, queue: 'unserved' });
    const waiting = queue === undefined ? undefined : idle.convert('hung.pcap', job('hung.pcap', FIXTURE)).then(
      () => 'converted',
      (error: unknown) => error,
    );
    try {
      await until(async () => (await idle.status()).waiting === 1, 10_000, 'the job queued');
      redis.pause();
      await new Promise((resolve) => setTimeout(resolve, 3000)); // looks at the job go unanswered
      await redis.kill();
      expect(await waiting).toBeInstanceOf(ClusterUnavailableError);
      await new Promise((resolve) => setTimeout(resolve, 3000)); // ioredis gives up on what was still asked
    } finally {
      redis.resume();
      await redis.start();
      process.off('unhandledRejection', onUnhandled);
      await idle.close();
    }
    expect(unhandled.map(String)).toEqual([]);
    await until(async () => (await queue.status()).reachable, 20_000, 'the queue reachable again');
  }, 60_000);
});
