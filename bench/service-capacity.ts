// Capacity of the whole service, per format: `recorder run` (the compiled CLI, its own process) records calls of
// the embedded PBX (in this process, at accelerated speed) end to end — captures listed and copied off the WebDAV
// drive, correlated with the CDRs the PBX posts to the CDR interface, converted, encrypted, signed, filed,
// indexed, released from the drive. The recorder's CPU time (all its threads, from /proc) over the call audio it
// filed gives "concurrent one-minute calls sustained per core": a core that files X seconds of call audio per CPU
// second keeps up with X calls talking at once. The PBX's own work (writing the captures) is not counted.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPbx, defaultDirectory } from '../src/embedded/index.js';
import { generateKeyFile } from '../src/platform/crypto/index.js';
import type { BenchRow, BenchSuite } from './types.js';
import { ONE_MINUTE_TALK_SECONDS, findRoot, freePort, oneMinuteCalls } from './tools.js';

const CALLS = 60;
const SPEED = 20;
const CDR_USER = 'bench-cdr';
const CDR_PASSWORD = 'bench-cdr-password';
/** Linux's clock ticks per second for /proc/<pid>/stat times. */
const TICKS = 100;

/** User + system CPU seconds of a process and all its threads so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime (fields 14 and 15 of the line)
}

/** Audio files filed in the store (any month folder). */
function filedCount(root: string, extension: string): number {
  let count = 0;
  for (const month of readdirSync(root, { withFileTypes: true })) {
    if (!month.isDirectory() || !/^\d{4}_\d{2}$/.test(month.name)) continue;
    count += readdirSync(join(root, month.name)).filter((f) => f.endsWith(`.${extension}`) || f.endsWith(`.${extension}.enc`)).length;
  }
  return count;
}

async function measure(format: 'wav' | 'mp3' | 'opus'): Promise<{ cpu: number; wall: number; filed: number }> {
  const base = await mkdtemp(join(tmpdir(), `recorder-capacity-${format}-`));
  const pbx = new EmbeddedPbx({ scenario: { seed: 90, calls: oneMinuteCalls(CALLS, 1) }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: SPEED, captureFlushMs: 100 });
  const endpoints = await pbx.start();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const key = join(base, 'system.key');
    await generateKeyFile(key);
    const port = await freePort();
    const root = join(base, 'store');
    mkdirSync(root, { recursive: true });
    const { username, password } = endpoints;
    const config = {
      pbx: { url: endpoints.soapUrl, username, password },
      reporting: { url: endpoints.reportingUrl, username, password, firstRetrySeconds: [1, 1] },
      drive: { kind: 'webdav', url: endpoints.recUrl, username, password, pollSeconds: 1, graceSeconds: 0 },
      storage: { root, timezone: 'utc', minFreeMegabytes: 0 },
      recording: format === 'wav' ? { format, encoding: 'pcm16' } : { format },
      encryption: { enabled: true, keyFiles: [key] },
      cdrInterface: { port, username: CDR_USER, password: CDR_PASSWORD, settleSeconds: 0 },
      log: { level: process.env.BENCH_KEEP ? 'info' : 'warn' },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(config));
    pbx.addCdrInterface({ url: `http://127.0.0.1:${port}/cdr`, username: CDR_USER, password: CDR_PASSWORD });
    child = spawn(process.execPath, [join(findRoot(), 'bin/recorder.js'), 'run', '-c', configPath], { stdio: ['ignore', 'ignore', 'inherit'] });
    const pid = child.pid!;
    await new Promise((resolve) => setTimeout(resolve, 1500)); // started and listening (its start-up counts in the CPU time)
    const started = Date.now();
    const run = pbx.run();
    const deadline = Date.now() + Number(process.env.BENCH_DEADLINE_MS ?? 600_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`recorder run exited ${child.exitCode}`);
      if (filedCount(root, format) >= CALLS && readdirSync(endpoints.recDir).length === 0) break;
      if (Date.now() > deadline) throw new Error(`${format}: ${filedCount(root, format)} of ${CALLS} filed in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cpu = cpuSeconds(pid);
    const wall = (Date.now() - started) / 1000;
    await run;
    return { cpu, wall, filed: filedCount(root, format) };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await pbx.stop();
    if (process.env.BENCH_KEEP) process.stderr.write(`kept ${base}\n`);
    else await rm(base, { recursive: true, force: true });
  }
}

export const serviceCapacityBench: BenchSuite = async () => {
  const rows: BenchRow[] = [];
  for (const format of ['wav', 'mp3', 'opus'] as const) {
    const { cpu, wall, filed } = await measure(format);
    const audioSeconds = filed * ONE_MINUTE_TALK_SECONDS;
    rows.push({
      task: `capacity of the whole service: concurrent one-minute calls sustained per core, ${format.toUpperCase()} (ingest → correlate → convert → encrypt → file → index)`,
      unit: 'calls per core',
      ours: audioSeconds / cpu,
      note: `recorder run (one process) filed ${filed} one-minute G.711 calls of the embedded PBX at ${SPEED}× speed (~${CALLS} talking at once), encrypted and signed, CDRs from the CDR interface: ${cpu.toFixed(1)} CPU-s for ${Math.round(audioSeconds)} s of calls in ${wall.toFixed(1)} s wall; the PBX's own work not counted`,
    });
  }
  return rows;
};
