import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLeg, mergeLegs, toneSignal } from '../src/embedded/index.js';
import { LinkType, PcapFileWriter, buildUdpFrame } from '../src/media/pcap/index.js';
import type { BenchRow, BenchSuite } from './types.js';
import { have } from './tools.js';

const CALL_SECONDS = 3600;
const RUNS = 3;

function wallSeconds(command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr?.toString().slice(0, 500)}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function best(times: number[]): number {
  return Math.min(...times);
}


/** A one-hour G.711 A-law call (20 ms packets both ways, a little jitter) as a pcap, plus each leg's raw payload. */
async function makeCall(dir: string): Promise<{ capture: string; payloads: string[] }> {
  const samples = CALL_SECONDS * 8000;
  const external = buildLeg({ from: { address: '10.0.0.1', port: 30000 }, to: { address: '10.0.0.2', port: 40000 }, codec: 'pcma', pcm: toneSignal(samples, 8000, 440, 1320), packetMs: 20, startTime: 1_700_000_000, ssrc: 1, sequence: 1, timestamp: 1, impairments: { jitterMs: 5, seed: 1 } });
  const internal = buildLeg({ from: { address: '10.0.0.2', port: 40000 }, to: { address: '10.0.0.1', port: 30000 }, codec: 'pcma', pcm: toneSignal(samples, 8000, 300, 2000), packetMs: 20, startTime: 1_700_000_000.005, ssrc: 2, sequence: 1, timestamp: 1, impairments: { jitterMs: 5, seed: 2 } });
  const capture = join(dir, 'call-1h.pcap');
  const writer = await PcapFileWriter.create(capture, { format: 'pcap', linkType: LinkType.ETHERNET });
  for (const d of mergeLegs(external, internal)) {
    writer.append({ time: d.time, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload }) });
  }
  await writer.close();
  const payloads = [external, internal].map((leg, i) => {
    const path = join(dir, `leg-${i}.alaw`);
    writeFileSync(path, Buffer.concat(leg.datagrams.map((d) => d.payload.subarray(12))));
    return path;
  });
  return { capture, payloads };
}

export const g711PipelineBench: BenchSuite = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recorder-bench-g711-'));
  try {
    const { capture, payloads } = await makeCall(dir);
    const child = join(dirname(fileURLToPath(import.meta.url)), 'convert-once.js');
    const runs: Array<{ seconds: number; wall: number; maxRssKb: number; audioSeconds: number; packets: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const started = process.hrtime.bigint();
      const out = execFileSync(process.execPath, [child, capture, join(dir, 'out'), 'no-fsync'], { encoding: 'utf8' });
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const parsed = JSON.parse(out) as { ok: boolean; error?: string; seconds: number; audioSeconds: number; packets: number; maxRssKb: number };
      if (!parsed.ok) throw new Error(`conversion failed: ${parsed.error}`);
      runs.push({ ...parsed, wall });
    }
    const inner = best(runs.map((r) => r.seconds));
    const wall = best(runs.map((r) => r.wall));
    const rss = Math.max(...runs.map((r) => r.maxRssKb)) / 1024;
    const audio = runs[0]!.audioSeconds;
    const rows: BenchRow[] = [];
    if (have('ffmpeg')) {
      const ffmpegWall = best(Array.from({ length: RUNS }, () => payloads.reduce((t, p) => t + wallSeconds('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-threads', '1', '-f', 'alaw', '-ar', '8000', '-ac', '1', '-i', p, '-f', 's16le', '-y', '/dev/null']), 0)));
      rows.push({
        task: 'G.711 pcap → stereo WAV (1 h call, 1 core), whole process',
        unit: 'x realtime',
        ours: audio / wall,
        native: audio / ffmpegWall,
        nativeTool: 'ffmpeg -threads 1 -f alaw → s16le, both legs\' payloads (no pcap parsing, no WAV)',
        peakRssMb: rss,
        note: `${runs[0]!.packets} packets, 115 MB WAV written (no fsync, like ffmpeg to /dev/null); inside the process ${Math.round(audio / inner)}x (${inner.toFixed(3)} s), whole process ${wall.toFixed(3)} s`,
      });
    }
    if (have('tshark')) {
      const tsharkWall = best(Array.from({ length: RUNS }, () => wallSeconds('tshark', ['--enable-heuristic', 'rtp_udp', '-r', capture, '-q', '-z', 'rtp,streams'])));
      rows.push({
        task: 'reading the 1 h call capture and analysing its RTP streams',
        unit: 'x realtime',
        ours: audio / wall,
        native: audio / tsharkWall,
        nativeTool: 'tshark -z rtp,streams (analysis only, no decoding)',
        note: 'ours also decodes and writes the WAV',
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
