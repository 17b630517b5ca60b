// Scaling out through BullMQ on Redis (Debian's redis-server on loopback): recordings per second with 1 and 2
// `recorder worker` processes (concurrency 1 each) on this machine, the queue's own cost per job, and the capacity
// that follows — one-minute calls sustained per core. Rows say so when redis-server is not installed.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ConversionQueue } from '../src/recorder/cluster/index.js';
import type { ClusterSettings, ConversionJobData } from '../src/recorder/cluster/index.js';
import { convertCapture } from '../src/recorder/convert/index.js';
import type { BenchRow, BenchSuite } from './types.js';
import { findRoot, freePort, have, writeTwoToneCall } from './tools.js';

const CALLS = 40;
const TINY_JOBS = 200;

async function startRedis(dir: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  for (let i = 0; i < 200; i++) {
    if ((await client.ping().catch(() => '')) === 'PONG') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  client.disconnect();
  return { url: `redis://127.0.0.1:${port}/0`, stop: () => child.kill('SIGKILL') };
}

/** Worker processes of the compiled CLI, each taking one job at a time; resolves once each says it is ready. */
async function startWorkers(count: number, config: string): Promise<ChildProcess[]> {
  const bin = join(findRoot(), 'bin/recorder.js');
  return Promise.all(
    Array.from({ length: count }, () => {
      const child = spawn(process.execPath, [bin, 'worker', '-c', config, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
      return new Promise<ChildProcess>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('conversion worker ready')) resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`recorder worker exited ${code} before it was ready`)));
      });
    }),
  );
}

function stopWorkers(workers: readonly ChildProcess[]): Promise<unknown> {
  return Promise.all(workers.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));
}

function jobFor(dir: string, input: string, name: string, format: 'wav' | 'mp3'): ConversionJobData {
  return { input, outDir: join(dir, 'out', name), options: { format, mix: 'stereo', encoding: 'pcm16', kbps: 32, durable: false, channels: { oneCall: true } }, sealed: false };
}

/** All `CALLS` captures through the queue at once; seconds from the first job to the last result. */
async function batch(queue: ConversionQueue, dir: string, tree: string[], format: 'wav' | 'mp3', tag: string): Promise<number> {
  const began = process.hrtime.bigint();
  const reports = await Promise.all(tree.map((input, i) => queue.convert(`${tag}-${i}`, jobFor(dir, input, `${tag}-${i}`, format))));
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const failed = reports.filter((report) => !report.ok).length;
  if (failed > 0) throw new Error(`${failed} of ${reports.length} conversions failed: ${reports.find((r) => !r.ok)?.error}`);
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  return seconds;
}

export const clusterBench: BenchSuite = async () => {
  if (!have('redis-server')) return [{ task: 'BullMQ cluster', unit: '—', ours: 0, note: 'redis-server is not installed (apt-get install redis-server): not measured' }];
  const dir = mkdtempSync(join(tmpdir(), 'recorder-bench-cluster-'));
  const redis = await startRedis(dir);
  const settings: ClusterSettings = { redis: redis.url, queue: 'bench', attempts: 3, lockSeconds: 30 };
  const config = join(dir, 'worker.json');
  const loopback = 'http://127.0.0.1:9/';
  writeFileSync(
    config,
    JSON.stringify({
      pbx: { url: loopback, username: 'u', password: 'p' },
      reporting: { url: loopback, username: 'u', password: 'p' },
      drive: { kind: 'local', path: dir },
      storage: { root: dir },
      log: { level: 'info' },
      cluster: settings,
    }),
  );
  const queue = new ConversionQueue(settings);
  try {
    const minute = join(dir, 'call-1min.pcap');
    writeTwoToneCall(minute, 60);
    mkdirSync(join(dir, 'tree'));
    const tree = Array.from({ length: CALLS }, (_, i) => {
      const path = join(dir, 'tree', `call-${i}.pcap`);
      linkSync(minute, path);
      return path;
    });
    const tiny = join(dir, 'call-1s.pcap');
    writeTwoToneCall(tiny, 1);

    const rows: BenchRow[] = [];
    const figures: Record<string, Record<number, number>> = { wav: {}, mp3: {} };
    for (const workers of [1, 2]) {
      const running = await startWorkers(workers, config);
      try {
        for (const format of ['wav', 'mp3'] as const) {
          await batch(queue, dir, tree.slice(0, 4), format, `warm-${workers}-${format}`); // JIT and threads warm
          figures[format]![workers] = Math.min(await batch(queue, dir, tree, format, `a-${workers}-${format}`), await batch(queue, dir, tree, format, `b-${workers}-${format}`));
        }
        if (workers === 1) {
          // The queue's own cost: one-second calls one after the other, against the same conversion in this process.
          let direct = Infinity;
          for (let round = 0; round < 3; round++) {
            const began = process.hrtime.bigint();
            for (let i = 0; i < TINY_JOBS; i++) await convertCapture(tiny, { outDir: join(dir, 'direct'), format: 'wav', durable: false, channels: { oneCall: true } });
            direct = Math.min(direct, Number(process.hrtime.bigint() - began) / 1e6 / TINY_JOBS);
          }
          let queued = Infinity;
          for (let round = 0; round < 3; round++) {
            const began = process.hrtime.bigint();
            for (let i = 0; i < TINY_JOBS; i++) await queue.convert(`tiny-${round}-${i}`, jobFor(dir, tiny, `tiny-${round}-${i}`, 'wav'));
            queued = Math.min(queued, Number(process.hrtime.bigint() - began) / 1e6 / TINY_JOBS);
          }
          rows.push({
            task: `BullMQ queue overhead per job (${TINY_JOBS} one-second calls one after the other, 1 worker process)`,
            unit: 'ms per job',
            ours: queued - direct,
            note: `through the queue ${queued.toFixed(2)} ms per job, the same conversion in this process ${direct.toFixed(2)} ms: the difference is the queue's (add, hand-over, result); target < 5 ms`,
          });
        }
      } finally {
        await stopWorkers(running);
      }
    }
    const cores = cpus().length;
    for (const format of ['wav', 'mp3'] as const) {
      const one = figures[format]![1]!;
      const two = figures[format]![2]!;
      rows.push({
        task: `BullMQ cluster: ${CALLS} one-minute calls → ${format.toUpperCase()}, 2 worker processes vs 1 (this ${cores}-core machine), best of 2`,
        unit: 'x speed-up',
        ours: one / two,
        note: `1 worker ${(CALLS / one).toFixed(1)} recordings/s, 2 workers ${(CALLS / two).toFixed(1)} recordings/s${format === 'mp3' ? '; target ≥ 1.7×' : ''}`,
      });
      rows.push({
        task: `capacity: concurrent one-minute calls sustained per core, ${format.toUpperCase()} (2 worker processes through the queue)`,
        unit: 'calls per core',
        ours: (CALLS * 60) / two / Math.min(2, cores),
        note: `each core converts ${((CALLS * 60) / two / Math.min(2, cores)).toFixed(0)} s of call per second: that many calls can run at once, all day, per core of worker`,
      });
    }
    return rows;
  } finally {
    await queue.close();
    redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};
