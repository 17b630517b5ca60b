// The player server under load: search latency over an index of 1,000,000 recordings (a mix of the player's
// filters through the HTTP API), and 200 concurrent audio streams with Range requests (encrypted recordings,
// decrypted and widened to PCM on the fly).
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavFileWriter } from '../src/media/audio/index.js';
import { Key, Keyring } from '../src/platform/crypto/index.js';
import { PlayerServer } from '../src/player/index.js';
import { RecordingIndex, Recordings } from '../src/recordings/index.js';
import type { RecordingRow } from '../src/recordings/index.js';
import { mulberry32 } from '../src/platform/util/index.js';
import type { BenchRow } from './types.js';

const ROWS = 1_000_000;
const MONTHS = 24;
const QUERIES_PER_KIND = 60;
const STREAMS = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function syntheticRows(count: number, random: () => number): RecordingRow[] {
  const rows: RecordingRow[] = [];
  const begin = Date.UTC(2023, 0, 1);
  const span = Date.UTC(2023 + MONTHS / 12, 0, 1) - begin;
  for (let i = 0; i < count; i++) {
    const start = new Date(begin + Math.floor((i / count) * span) + Math.floor(random() * 60_000));
    const y = start.getUTCFullYear();
    const m = start.getUTCMonth() + 1;
    const d = start.getUTCDate();
    const p2 = (n: number): string => String(n).padStart(2, '0');
    const internal = String(200 + Math.floor(random() * 300));
    const external = `0${Math.floor(100_000_000 + random() * 899_999_999)}`;
    const direction = random() < 0.55 ? 'in' : 'out';
    const tan = random() < 0.05 ? String(Math.floor(random() * 1_000_000)).padStart(6, '0') : undefined;
    const callId = `bench${i.toString(36)}`;
    const name = `${y}_${p2(m)}_${p2(d)}_${p2(start.getUTCHours())}${p2(start.getUTCMinutes())}_${internal}_${direction === 'in' ? 'i' : 'o'}_${external}_3_${callId}${tan ? `_T${tan}` : ''}`;
    rows.push({
      name,
      month: `${y}_${p2(m)}`,
      day: d,
      start,
      startLocal: `${y}-${p2(m)}-${p2(d)} ${p2(start.getUTCHours())}:${p2(start.getUTCMinutes())}`,
      internal,
      internalName: `Agent ${internal}`,
      external,
      direction,
      secondsToAnswer: 3,
      callId,
      ...(tan ? { tan } : {}),
      format: random() < 0.9 ? 'wav' : 'mp3',
      durationMs: 30_000 + Math.floor(random() * 600_000),
      size: 500_000,
      encrypted: true,
      integrity: 'intact',
      hasNotes: random() < 0.02,
      hasSidecar: true,
    });
  }
  return rows;
}

interface HttpResult {
  status: number;
  bytes: number;
}

function get(url: string, path: string, cookie: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers: { Cookie: cookie, ...headers }, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function loginCookie(url: string): Promise<string> {
  const res = await fetch(new URL('/api/login', url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'bench', password: 'bench password 1' }) });
  if (!res.ok) throw new Error(`login: ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function searchBench(dir: string): Promise<BenchRow[]> {
  const random = mulberry32(42);
  // A million synthetic rows go straight into the index file (there are no files behind them); then the player opens it.
  const indexPath = join(dir, 'index.sqlite');
  const index = new RecordingIndex(indexPath);
  const t0 = performance.now();
  for (let done = 0; done < ROWS; done += 20_000) index.upsertMany(syntheticRows(20_000, random).map((r, i) => ({ ...r, name: `${r.name}x${done + i}` })));
  index.analyze(); // as after a reindex: the planner's statistics for a million rows
  index.close();
  const insertSeconds = (performance.now() - t0) / 1000;
  const recordings = await Recordings.open({ root: join(dir, 'rec-empty'), indexPath, timeZone: 'utc' });
  const server = new PlayerServer({ recordings, accountsPath: join(dir, 'accounts.sqlite'), port: 0, auditLogPath: false });
  await server.accounts.add({ name: 'bench', password: 'bench password 1', role: 'supervisor' });
  const { url } = await server.listen();
  const cookie = await loginCookie(url);
  const month = (): string => `${2023 + Math.floor(random() * 2)}_${String(1 + Math.floor(random() * 12)).padStart(2, '0')}`;
  const agent = (): string => String(200 + Math.floor(random() * 300));
  const kinds: Array<[string, () => string]> = [
    ['month', () => `month=${month()}`],
    ['month+day', () => `month=${month()}&day=${1 + Math.floor(random() * 28)}`],
    ['month+internal', () => `month=${month()}&internal=${agent()}`],
    ['internal (all months)', () => `internal=${agent()}`],
    ['month+internal 2?5', () => `month=${month()}&internal=${encodeURIComponent(`${2 + Math.floor(random() * 3)}?${Math.floor(random() * 10)}`)}`],
    ['month+external prefix', () => `month=${month()}&external=0${1 + Math.floor(random() * 8)}${Math.floor(random() * 10)}`],
    ['external prefix (all)', () => `external=0${1 + Math.floor(random() * 8)}${Math.floor(random() * 100)}`],
    ['tan', () => `tan=${String(Math.floor(random() * 1_000_000)).padStart(6, '0')}`],
    ['month+direction', () => `month=${month()}&direction=${random() < 0.5 ? 'in' : 'out'}`],
    ['one week', () => {
      const from = new Date(Date.UTC(2023, 0, 1) + Math.floor(random() * 700) * 86_400_000);
      return `from=${from.toISOString()}&to=${new Date(from.getTime() + 7 * 86_400_000).toISOString()}`;
    }],
    ['no filter, newest', () => ''],
  ];
  const all: number[] = [];
  const perKind: Array<{ kind: string; p95: number }> = [];
  for (const [, make] of kinds) await get(url, `/api/recordings?${make()}&limit=50`, cookie); // warm the page cache
  for (const [kind, make] of kinds) {
    const times: number[] = [];
    for (let i = 0; i < QUERIES_PER_KIND; i++) {
      const path = `/api/recordings?${make()}&limit=50`;
      const t = performance.now();
      const res = await get(url, path, cookie);
      times.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    }
    times.sort((a, b) => a - b);
    all.push(...times);
    perKind.push({ kind, p95: percentile(times, 95) });
  }
  all.sort((a, b) => a - b);
  await server.close();
  await recordings.close();
  const worst = perKind.slice().sort((a, b) => b.p95 - a.p95);
  const note = `${ROWS.toLocaleString('en-US')} rows over ${MONTHS} months (insert ${insertSeconds.toFixed(0)} s); ${kinds.length} filter kinds × ${QUERIES_PER_KIND}, via HTTP, page of 50 + total count; slowest p95: ${worst
    .slice(0, 3)
    .map((w) => `${w.kind} ${w.p95.toFixed(1)} ms`)
    .join(', ')}`;
  return [
    { task: 'player search p50 (1M recordings)', unit: 'ms (lower is better)', ours: percentile(all, 50), note },
    { task: 'player search p95 (1M recordings)', unit: 'ms (lower is better)', ours: percentile(all, 95), note: `target < 50 ms; per kind p95: ${perKind.map((k) => `${k.kind} ${k.p95.toFixed(1)}`).join('; ')}` },
  ];
}

async function streamBench(dir: string): Promise<BenchRow[]> {
  const keyring = new Keyring([Key.generate()]);
  const recordings = await Recordings.open({ root: join(dir, 'rec'), indexPath: join(dir, 'stream-index.sqlite'), timeZone: 'utc', keyring });
  const names: string[] = [];
  const seconds = 60;
  for (let i = 0; i < 20; i++) {
    const audioPath = join(dir, `work-${i}.wav`);
    const writer = new WavFileWriter(audioPath, { sampleRate: 8000, channels: 2, encoding: 'alaw' }, { durable: false });
    const pcm = new Int16Array(8000 * 2 * seconds);
    for (let s = 0; s < pcm.length; s++) pcm[s] = Math.round(8000 * Math.sin(s / (7 + i)));
    writer.write(pcm);
    writer.finish();
    const start = new Date(Date.UTC(2024, 0, 2, 8, i));
    const filed = await recordings.file({ meta: { callId: `stream-${i}`, start, secondsToAnswer: 1, direction: 'in', internal: '201', external: '0301' }, audioPath, format: 'wav', mix: 'stereo', durationMs: seconds * 1000 });
    names.push(filed.name);
  }
  const server = new PlayerServer({ recordings, accountsPath: join(dir, 'stream-accounts.sqlite'), port: 0, auditLogPath: false });
  await server.accounts.add({ name: 'bench', password: 'bench password 1', role: 'supervisor' });
  const { url } = await server.listen();
  const cookie = await loginCookie(url);
  const random = mulberry32(7);
  const size = 44 + 8000 * 2 * 2 * seconds;
  let errors = 0;
  let bytes = 0;
  const t0 = performance.now();
  const peakRss = { mb: 0 };
  const sampler = setInterval(() => (peakRss.mb = Math.max(peakRss.mb, process.memoryUsage().rss / 1e6)), 50);
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, i) => {
      const name = names[i % names.length]!;
      const from = Math.floor(random() * (size - 200_000));
      try {
        const res = await get(url, `/api/recordings/${encodeURIComponent(name)}/audio`, cookie, { Range: `bytes=${from}-` });
        if (res.status !== 206 || res.bytes !== size - from) errors++;
        bytes += res.bytes;
      } catch {
        errors++;
      }
    }),
  );
  const seconds_ = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await server.close();
  await recordings.close();
  return [
    {
      task: `player: ${STREAMS} concurrent audio streams (Range, encrypted → PCM)`,
      unit: 'MB/s served',
      ours: bytes / 1e6 / seconds_,
      peakRssMb: peakRss.mb,
      note: `${errors} errors of ${STREAMS}; ${(bytes / 1e6).toFixed(0)} MB in ${seconds_.toFixed(2)} s; ${((bytes / (size - 44)) * seconds).toFixed(0)} s of stereo audio = ${((bytes / (size - 44)) * seconds / seconds_).toFixed(0)}× realtime`,
    },
  ];
}

export const playerBench = async (): Promise<BenchRow[]> => {
  const dir = mkdtempSync(join(tmpdir(), 'recorder-player-bench-'));
  try {
    return [...(await searchBench(dir)), ...(await streamBench(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
