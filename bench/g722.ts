import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { G722Decoder, G722Encoder, encodeG722 } from '../src/media/codecs/g722/index.js';
import type { BenchRow, BenchSuite } from './types.js';

const AUDIO_SECONDS = 600;
const SAMPLE_RATE = 16000;
const RUNS = 3;
/** 20 ms RTP packets: 320 samples, 160 octets. */
const PACKET_SAMPLES = 320;

/** Ten minutes of deterministic speech-band audio: gliding tones under a syllable-rate envelope, plus noise. */
function benchAudio(): Int16Array {
  const pcm = new Int16Array(AUDIO_SECONDS * SAMPLE_RATE);
  let seed = 722;
  for (let i = 0; i < pcm.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const t = i / SAMPLE_RATE;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    const pitch = 140 + 40 * Math.sin(2 * Math.PI * 0.3 * t);
    const voiced = Math.sin(2 * Math.PI * pitch * t) + 0.5 * Math.sin(2 * Math.PI * 3.1 * pitch * t) + 0.25 * Math.sin(2 * Math.PI * 17.3 * pitch * t);
    pcm[i] = Math.round(7000 * envelope * voiced + ((seed >>> 21) - 1024));
  }
  return pcm;
}

function requireFfmpeg(): void {
  if (spawnSync('sh', ['-c', 'command -v ffmpeg']).status !== 0) {
    throw new Error("ffmpeg is not installed: the G.722 bench measures against ffmpeg's adpcm_g722 (apt-get install ffmpeg)");
  }
}

/** Wall time of one ffmpeg process, output discarded. */
function ffmpegSeconds(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-threads', '1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${result.stderr?.toString().slice(0, 500)}`);
  return seconds;
}

function timeDecode(bitstream: Uint8Array): number {
  const decoder = new G722Decoder();
  const out = new Int16Array(PACKET_SAMPLES);
  const packet = PACKET_SAMPLES / 2;
  const started = process.hrtime.bigint();
  for (let at = 0; at < bitstream.length; at += packet) decoder.decode(bitstream.subarray(at, at + packet), out);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function timeEncode(pcm: Int16Array): number {
  const encoder = new G722Encoder();
  const out = new Uint8Array(PACKET_SAMPLES / 2);
  const started = process.hrtime.bigint();
  for (let at = 0; at < pcm.length; at += PACKET_SAMPLES) encoder.encode(pcm.subarray(at, at + PACKET_SAMPLES), out);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Whether ffmpeg decodes the bench bitstream to exactly our samples (a bench of a wrong decoder would mean nothing). */
function sameAsFfmpeg(bitstreamPath: string, bitstream: Uint8Array): boolean {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'g722', '-i', bitstreamPath, '-f', 's16le', '-'], { maxBuffer: 1 << 26 });
  if (result.status !== 0) return false;
  const theirs = result.stdout;
  const ours = new G722Decoder().decode(bitstream);
  return Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength).equals(theirs);
}

export const g722Bench: BenchSuite = async () => {
  requireFfmpeg();
  const dir = mkdtempSync(join(tmpdir(), 'recorder-bench-g722-'));
  try {
    const pcm = benchAudio();
    const bitstream = encodeG722(pcm);
    const rawPath = join(dir, 'x.raw');
    const g722Path = join(dir, 'x.g722');
    writeFileSync(rawPath, pcm);
    writeFileSync(g722Path, bitstream);
    const identical = sameAsFfmpeg(g722Path, bitstream);

    // Warm up the JIT on a slice before the timed runs; take the best of RUNS for both sides.
    timeDecode(bitstream.subarray(0, 16000));
    timeEncode(pcm.subarray(0, 32000));
    const oursDecode = Math.min(...Array.from({ length: RUNS }, () => timeDecode(bitstream)));
    const oursEncode = Math.min(...Array.from({ length: RUNS }, () => timeEncode(pcm)));
    const ffmpegDecode = Math.min(...Array.from({ length: RUNS }, () => ffmpegSeconds(['-f', 'g722', '-i', g722Path, '-f', 's16le', '-'])));
    const ffmpegEncode = Math.min(...Array.from({ length: RUNS }, () => ffmpegSeconds(['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', rawPath, '-c:a', 'g722', '-f', 'g722', '-'])));

    const note = (ours: number): string =>
      `${AUDIO_SECONDS / 60} min of 16 kHz audio in 20 ms packets, best of ${RUNS}; ours in-process ${ours.toFixed(3)} s on one core, ffmpeg whole process (start-up included)`;
    const rows: BenchRow[] = [
      {
        task: 'G.722 decode, 64 kbit/s → 16 kHz PCM (1 core)',
        unit: 'x realtime',
        ours: AUDIO_SECONDS / oursDecode,
        native: AUDIO_SECONDS / ffmpegDecode,
        nativeTool: 'ffmpeg -threads 1 -f g722 -i x.g722 -f s16le -',
        note: `${note(oursDecode)}; output sample-identical to ffmpeg: ${identical ? 'yes' : 'NO'}`,
      },
      {
        task: 'G.722 encode, 16 kHz PCM → 64 kbit/s (1 core)',
        unit: 'x realtime',
        ours: AUDIO_SECONDS / oursEncode,
        native: AUDIO_SECONDS / ffmpegEncode,
        nativeTool: 'ffmpeg -threads 1 -f s16le -ar 16000 -ac 1 -i x.raw -c:a g722 -f g722 -',
        note: note(oursEncode),
      },
    ];
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
