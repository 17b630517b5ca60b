// Peak memory of converting one capture that holds many simultaneous calls (a gateway's trunk capture): the
// converter keeps every stream's audio under one memory budget, so RSS must stay flat as calls are added.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeG711 } from '../src/media/codecs/index.js';
import { LinkType, buildUdpFrame, encodePcapHeader, encodePcapRecord } from '../src/media/pcap/index.js';
import type { BenchRow, BenchSuite } from './types.js';

/** Bytes of one 20 ms G.711 packet in the capture: 14 Ethernet + 20 IPv4 + 8 UDP + 12 RTP + 160 payload + 16 record header. */
const RECORD_BYTES = 230;

/** Write `calls` simultaneous two-way G.711 calls, all starting within the first second, to about `bytes`; returns audio seconds. */
export function writeManyCalls(path: string, calls: number, bytes: number): number {
  const pcap = { linkType: LinkType.ETHERNET } as const;
  const packetsPerDirection = Math.floor(bytes / RECORD_BYTES / calls / 2);
  const tone = (hz: number): Uint8Array => {
    const samples = new Int16Array(160);
    for (let i = 0; i < 160; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / 8000));
    return encodeG711('alaw', samples);
  };
  const payloads = [tone(400), tone(800)];
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, encodePcapHeader(pcap));
    const start = 1_700_000_000;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    for (let n = 0; n < packetsPerDirection; n++) {
      for (let call = 0; call < calls; call++) {
        const a = `10.${(call >> 8) & 255}.${call & 255}.1`;
        const b = `172.16.${(call >> 8) & 255}.${call & 255}`;
        const offset = (call / calls) * 0.02;
        for (const [src, dst, direction] of [
          [a, b, 0],
          [b, a, 1],
        ] as const) {
          const header = new Uint8Array(12);
          header[0] = 0x80;
          header[1] = 8;
          header[2] = (n >> 8) & 255;
          header[3] = n & 255;
          const ts = (n * 160) >>> 0;
          header[4] = ts >>> 24;
          header[5] = (ts >>> 16) & 255;
          header[6] = (ts >>> 8) & 255;
          header[7] = ts & 255;
          const ssrc = call * 2 + direction + 1;
          header[8] = ssrc >>> 24;
          header[9] = (ssrc >>> 16) & 255;
          header[10] = (ssrc >>> 8) & 255;
          header[11] = ssrc & 255;
          const payload = new Uint8Array(172);
          payload.set(header);
          payload.set(payloads[direction]!, 12);
          const record = encodePcapRecord(
            { time: start + n * 0.02 + offset + direction * 0.0001, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src, dst, srcPort: 20000 + direction, dstPort: 20001 - direction, payload }) },
            pcap,
          );
          batch.push(record);
          batchBytes += record.length;
        }
      }
      if (batchBytes > 8 << 20) {
        writeSync(fd, Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) writeSync(fd, Buffer.concat(batch));
  } finally {
    closeSync(fd);
  }
  return calls * packetsPerDirection * 0.02;
}

function convertOnce(capture: string, outDir: string): { seconds: number; maxRssKb: number; audioSeconds: number; ok: boolean; error?: string } {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'convert-once.js');
  return JSON.parse(execFileSync(process.execPath, [child, capture, outDir, 'no-fsync'], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { seconds: number; maxRssKb: number; audioSeconds: number; ok: boolean; error?: string };
}

export const manyCallsBench: BenchSuite = async () => {
  const rows: BenchRow[] = [];
  const sizes = (process.env.RECORDER_BENCH_MANY_CALLS ?? '500:1024').split(',').map((pair) => pair.split(':').map(Number) as [number, number]);
  for (const [calls, megabytes] of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'recorder-bench-many-'));
    try {
      const capture = join(dir, 'trunk.pcap');
      const audio = writeManyCalls(capture, calls, megabytes * 1024 * 1024);
      const result = convertOnce(capture, join(dir, 'out'));
      if (!result.ok) throw new Error(`conversion failed: ${result.error}`);
      rows.push({
        task: `one ${megabytes >= 1024 ? `${(megabytes / 1024).toFixed(0)} GB` : `${megabytes} MB`} capture of ${calls} simultaneous calls → ${calls} WAVs (1 core)`,
        unit: 'x realtime',
        ours: result.audioSeconds / result.seconds,
        peakRssMb: result.maxRssKb / 1024,
        note: `peak RSS target ≤ 400 MB whatever the number of calls; ${Math.round(audio / calls)} s per call, ${Math.round(result.audioSeconds)} s of audio in ${result.seconds.toFixed(1)} s`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
};
