// `recorder run` latency and backlog drain against `recorder pbx` on loopback.
//
// 1. Latency: N one-minute G.711 calls (inbound and outbound, Agents); for each, from the call's end on the PBX
//    (its simulated end time mapped to real time through the PBX clock) to the service's onFiled. Also the
//    service's own FiledEvent.latencyMs (from the SOAP call end as the link received it), and the player link's
//    records at an AppServer on loopback (a player side on its own view of the store, as `recorder serve`):
//    the agent's answer → !FRST!, the call's end → !LAST!.
// 2. Drain: the recorder is down while the PBX records 10 simulated minutes of calls; then it starts and files the
//    backlog: recordings filed per second from its start until the drive is empty.
//
//    Measured three ways: with the recorder as the PBX's CDR interface (CDRs posted at the call's end), and with
//    polling the reporting only, once with the reporting answering at once and once with it lagging
//    --reporting-lag seconds behind the call end (a Reporting busy writing its database).
//
// Run: npx tsx bench/service-latency.ts [--calls 200] [--speed 10] [--gap 8] [--reporting-lag 3] [--outage-minutes 10] [--workers 0,2]
// Prints a table and writes bench/results/service-latency-<time>.json.
import { cpus } from 'node:os';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { validateConfig } from '../src/platform/config/index.js';
import type { RecorderConfig } from '../src/platform/config/index.js';
import { EmbeddedAppServer, EmbeddedPbx, defaultDirectory } from '../src/embedded/index.js';
import { PlayerLink, PlayerServer } from '../src/player/index.js';
import { openRecordings } from '../src/recordings/index.js';
import type { EmbeddedPbxEndpoints, PlannedCall, Scenario } from '../src/embedded/index.js';
import { oneMinuteCalls } from './tools.js';
import { RecorderService } from '../src/recorder/service/index.js';
import type { FiledEvent } from '../src/recorder/service/index.js';
import type { FiledRecording } from '../src/recordings/index.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    speed: { type: 'string', default: '10' },
    gap: { type: 'string', default: '8' },
    'outage-minutes': { type: 'string', default: '10' },
    'drain-speed': { type: 'string', default: '30' },
    workers: { type: 'string', default: '0,2' },
    'reporting-lag': { type: 'string', default: '3' },
  },
});
const REPORTING_LAG_S = Number(values['reporting-lag']);
const CALLS = Number(values.calls);
const SPEED = Number(values.speed);
const GAP = Number(values.gap);
const OUTAGE_MINUTES = Number(values['outage-minutes']);
const DRAIN_SPEED = Number(values['drain-speed']);
const WORKERS = values.workers === '' ? [] : values.workers.split(',').map(Number);
const CDR_USER = 'bench-cdr';
const CDR_PASSWORD = 'bench-cdr-password';

/** Polling tuned for latency: the drive listed every 150 ms, 100 ms settle once SOAP saw the call end. */
const TUNED = { pollMs: 150, endedSettleMs: 100, settleMs: 2000, longRetryMs: 60_000 } as const;
/** One-minute G.711 calls of Agents (2 s ringing, 58 s talk), `gap` simulated seconds apart. */
function oneMinuteScenario(count: number, gap: number): Scenario {
  return { seed: 77, calls: oneMinuteCalls(count, gap) };
}

function configFor(base: string, endpoints: EmbeddedPbxEndpoints, cdrInterface = false): RecorderConfig {
  const { username, password } = endpoints;
  return validateConfig(
    {
      pbx: { url: endpoints.soapUrl, username, password },
      reporting: { url: endpoints.reportingUrl, username, password, firstRetrySeconds: [1, 1] },
      drive: { kind: 'webdav', url: endpoints.recUrl, username, password, pollSeconds: 1, graceSeconds: 0 },
      storage: { root: join(base, 'store'), timezone: 'utc' },
      recording: { format: 'wav', encoding: 'pcm16' },
      ...(cdrInterface ? { cdrInterface: { port: 0, username: CDR_USER, password: CDR_PASSWORD, settleSeconds: 0 } } : {}),
    },
    'bench-config',
    base,
  );
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function summary(samples: readonly number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, mean: Math.round(mean) };
}

/** The simulated moment a call is over on the PBX (its last release; the SOAP call end and the CDR follow it). */
function simulatedEnd(call: PlannedCall): number {
  const lastEvent = call.events.reduce((latest, event) => Math.max(latest, event.at), 0);
  return call.setupTime + Math.max(call.endAt, lastEvent);
}

interface LatencyMode {
  readonly cdrInterface: boolean;
  /** Real seconds the reporting lags behind the call end. */
  readonly reportingLagSeconds: number;
}

type LatencyResult = {
  endToEnd: ReturnType<typeof summary>;
  reported: ReturnType<typeof summary>;
  first: ReturnType<typeof summary>;
  last: ReturnType<typeof summary>;
  filed: number;
  expected: number;
  cutShort: number;
  seconds: number;
  fromCdrInterface: number;
};

async function latencyRun(mode: LatencyMode): Promise<LatencyResult> {
  const base = await mkdtemp(join(tmpdir(), 'bench-service-latency-'));
  const directory = defaultDirectory();
  // The reporting's lag is simulated time on the PBX clock: speed × the real lag.
  const pbx = new EmbeddedPbx({ scenario: oneMinuteScenario(CALLS, GAP), directory, driveRoot: join(base, 'drive'), speed: SPEED, captureFlushMs: 50, faults: { reportingDelayMs: mode.reportingLagSeconds * 1000 * SPEED } });
  const endpoints = await pbx.start();
  const config = configFor(base, endpoints, mode.cdrInterface);
  const byConf = new Map(pbx.calls.map((call) => [call.confId, call]));
  // The PBX clock runs `speed` times real time from a fixed anchor: one reading maps any simulated time to real time.
  const anchorReal = Date.now();
  const anchorSim = pbx.clock.now();
  const realOf = (sim: number): number => anchorReal + (sim - anchorSim) / SPEED;
  const endToEnd: number[] = [];
  const reported: number[] = [];
  let cutShort = 0;
  const onFiled = (event: FiledEvent): void => {
    const call = byConf.get(event.capture.slice(0, 32));
    if (!call) return;
    // A recording much shorter than its 58 s of talk was taken before its call was over.
    const durationMs = (event.recording as FiledRecording).sidecar?.audio.durationMs ?? 0;
    if (durationMs < 56_000) cutShort++;
    endToEnd.push(Math.round(Date.now() - realOf(simulatedEnd(call))));
    reported.push(event.latencyMs);
  };
  const service = new RecorderService({ config, logger: pino({ level: 'silent' }), ...TUNED, onFiled });
  await service.start();
  if (mode.cdrInterface) pbx.addCdrInterface({ url: service.cdrInterfaceUrl!, username: CDR_USER, password: CDR_PASSWORD });
  // The player side: its own view of the store, a player server, the link to an AppServer on loopback.
  const serveSide = await openRecordings(config, undefined);
  const player = new PlayerServer({ recordings: serveSide, accountsPath: join(base, 'accounts.sqlite'), port: 0 });
  await player.listen();
  const appServer = new EmbeddedAppServer();
  const { address } = await appServer.start();
  const link = new PlayerLink({ recordings: serveSide, server: player, logger: pino({ level: 'silent' }), appServer: { host: '127.0.0.1', port: Number(address.split(':')[1]) } });
  await link.start();
  const first: number[] = [];
  const last: number[] = [];
  appServer.on('message', (message) => {
    const fields = message.line.split('!');
    const call = byConf.get(fields[3] ?? '');
    if (!call) return;
    if (fields[1] === 'FRST' && call.answerAt !== undefined) first.push(Math.round(message.at - realOf(call.setupTime + call.answerAt)));
    if (fields[1] === 'LAST') last.push(Math.round(message.at - realOf(simulatedEnd(call))));
  });
  await waitFor(() => service.status().lamps.PBX === 'green' && appServer.connections === 1, 20_000, 'the PBX link and the player link');
  const started = Date.now();
  try {
    const result = await pbx.run({ onCallDone: (_call, done) => done % 50 === 0 && process.stdout.write(`  latency: ${done}/${CALLS} calls played\n`) });
    if (result.failures.length > 0) throw new Error(`PBX failures: ${JSON.stringify(result.failures.slice(0, 3))}`);
    const expected = pbx.calls.filter((call) => call.expected.agent !== null).length;
    await waitFor(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 120_000, 'every capture filed');
    await waitFor(() => last.length >= endToEnd.length, 10_000, 'a LAST per recording');
    return {
      endToEnd: summary(endToEnd),
      reported: summary(reported),
      first: summary(first),
      last: summary(last),
      filed: endToEnd.length,
      expected,
      cutShort,
      seconds: (Date.now() - started) / 1000,
      fromCdrInterface: service.status().counters.decidedFromCdrInterface,
    };
  } finally {
    await link.stop();
    await appServer.stop();
    await player.close();
    await serveSide.close();
    await service.stop();
    await pbx.stop();
    await rm(base, { recursive: true, force: true });
  }
}

interface DrainResult {
  readonly workers: number;
  readonly captures: number;
  readonly filed: number;
  readonly firstFiledSeconds: number;
  readonly drainSeconds: number;
  readonly filedPerSecond: number;
  readonly capturesPerSecond: number;
}

async function drainRun(workers: number): Promise<DrainResult> {
  const base = await mkdtemp(join(tmpdir(), 'bench-service-drain-'));
  const directory = defaultDirectory();
  // Ten simulated minutes of one-minute calls, one every 6 s: about ten calls at a time, as in a busy call centre.
  const count = Math.floor((OUTAGE_MINUTES * 60 - 60) / 6);
  const pbx = new EmbeddedPbx({ scenario: oneMinuteScenario(count, 6), directory, driveRoot: join(base, 'drive'), speed: DRAIN_SPEED, captureFlushMs: 100 });
  const endpoints = await pbx.start();
  try {
    const result = await pbx.run();
    if (result.failures.length > 0) throw new Error(`PBX failures: ${JSON.stringify(result.failures.slice(0, 3))}`);
    const captures = readdirSync(endpoints.recDir).length;
    const config = configFor(base, endpoints);
    let filed = 0;
    let firstFiled = 0;
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), ...TUNED, ...(workers > 0 ? { workers } : {}), onFiled: () => {
      filed++;
      if (firstFiled === 0) firstFiled = Date.now();
    } });
    const started = Date.now();
    await service.start();
    try {
      await waitFor(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 300_000, 'the backlog drained');
    } finally {
      await service.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    return { workers, captures, filed, firstFiledSeconds: (firstFiled - started) / 1000, drainSeconds: seconds, filedPerSecond: filed / seconds, capturesPerSecond: captures / seconds };
  } finally {
    await pbx.stop();
    await rm(base, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

process.stdout.write(`service latency: ${CALLS} one-minute G.711 calls at ${SPEED}x, one every ${GAP} simulated s\n`);
const modes: { name: string; mode: LatencyMode }[] = [
  { name: 'CDR interface', mode: { cdrInterface: true, reportingLagSeconds: REPORTING_LAG_S } },
  { name: 'polling only, reporting at once', mode: { cdrInterface: false, reportingLagSeconds: 0 } },
  { name: `polling only, reporting ${REPORTING_LAG_S} s behind`, mode: { cdrInterface: false, reportingLagSeconds: REPORTING_LAG_S } },
];
const latencies: { name: string; result: LatencyResult }[] = [];
for (const { name, mode } of modes) {
  process.stdout.write(`latency, ${name}\n`);
  latencies.push({ name, result: await latencyRun(mode) });
}
const drains: DrainResult[] = [];
for (const workers of WORKERS) {
  process.stdout.write(`drain: ${OUTAGE_MINUTES} simulated minutes of calls with the recorder down, then ${workers > 0 ? `${workers} workers` : 'in-process conversion'}\n`);
  drains.push(await drainRun(workers));
}

const rows: [string, string, string][] = [
  ...latencies.flatMap(({ name, result }): [string, string, string][] => [
    [`call end → filed, p50 / p95 (${name})`, `${result.endToEnd.p50} / ${result.endToEnd.p95} ms`, `${result.filed}/${result.expected} recordings, ${result.cutShort} cut short, ${result.fromCdrInterface} decided from posted CDRs`],
    [`call end → filed, p99 / max (${name})`, `${result.endToEnd.p99} / ${result.endToEnd.max} ms`, `FiledEvent.latencyMs p50 / p95 ${result.reported.p50} / ${result.reported.p95} ms`],
    [`call end → !LAST! at the AppServer, p50 / p95 (${name})`, `${result.last.p50} / ${result.last.p95} ms`, `${result.last.n} LAST; p99 / max ${result.last.p99} / ${result.last.max} ms`],
    [`answer → !FRST! at the AppServer, p50 / p95 (${name})`, `${result.first.p50} / ${result.first.p95} ms`, `${result.first.n} FRST; p99 / max ${result.first.p99} / ${result.first.max} ms`],
  ]),
  ...drains.map((d): [string, string, string] => [
    `backlog drain after ${OUTAGE_MINUTES} min outage, ${d.workers > 0 ? `${d.workers} workers` : 'in-process'}`,
    `${round(d.filedPerSecond, 1)} recordings/s`,
    `${d.filed} filed of ${d.captures} captures (${round(d.capturesPerSecond, 1)} captures/s) in ${round(d.drainSeconds, 1)} s; first filed after ${round(d.firstFiledSeconds, 1)} s`,
  ]),
];
const width = Math.max(...rows.map((r) => r[0].length));
const valueWidth = Math.max(...rows.map((r) => r[1].length));
process.stdout.write(`\n${rows.map(([a, b, c]) => `${a.padEnd(width)}  ${b.padStart(valueWidth)}  ${c}`).join('\n')}\n`);

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDir, { recursive: true });
const at = new Date().toISOString();
const file = join(resultsDir, `service-latency-${at.replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ at, machine: `${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}`, settings: { calls: CALLS, speed: SPEED, gapSeconds: GAP, reportingLagSeconds: REPORTING_LAG_S, outageMinutes: OUTAGE_MINUTES, drainSpeed: DRAIN_SPEED, tuned: TUNED }, latency: latencies, drains }, null, 2)}\n`,
);
process.stdout.write(`\nwritten ${file}\n`);
