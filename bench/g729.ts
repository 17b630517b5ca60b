/**
 * G.729 decode speed: our decoder (full G.729 and Annex A variants) beside libbcg729 (a C
 * harness, bench/native/bcg729-decode.c, built here with cc) and ffmpeg's g729 decoder, on the
 * ITU-T SPEECH.BIT vector repeated to about one minute of audio. The note also gives the
 * accuracy of each decoder against the ITU-T reference output SPEECH.PST (ours is bit-exact).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { G729Decoder, parseItuSerial } from '../src/media/codecs/g729/index.js';
import type { G729Variant } from '../src/media/codecs/g729/index.js';
import type { BenchRow, BenchSuite } from './types.js';
import { findRoot, have } from './tools.js';

const REPEAT = 2; // SPEECH.BIT is 37.5 s: two passes ≈ 75 s of audio
const RUNS = 5;
/** Untimed passes per variant before timing: V8 needs a few seconds of audio to reach its optimized steady state. */
const WARMUP_PASSES = 3;



function readPcm(path: string): Int16Array {
  const b = readFileSync(path);
  const out = new Int16Array(b.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i);
  return out;
}

/** SNR in dB of x against the reference (Infinity when identical), over the common length. */
function snrDb(ref: Int16Array, x: Int16Array): number {
  const n = Math.min(ref.length, x.length);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    signal += ref[i]! * ref[i]!;
    const d = ref[i]! - x[i]!;
    noise += d * d;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

function fmtSnr(db: number): string {
  return Number.isFinite(db) ? `${db.toFixed(1)} dB` : 'bit-exact';
}

function decodeOurs(frames: Uint8Array[], variant: G729Variant, repeat: number, kernels: 'wasm' | 'js' = 'wasm'): { seconds: number; pcm: Int16Array } {
  const pcm = new Int16Array(frames.length * 80);
  const started = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) {
    const d = new G729Decoder({ variant, kernels });
    for (let f = 0; f < frames.length; f++) d.decodeFrame(frames[f]!, pcm, f * 80);
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, pcm };
}

export const g729Bench: BenchSuite = async () => {
  const root = findRoot();
  const vectors = join(root, '..', 'shared', 'codecs', 'g729', 'itu-test-vectors', 'g729');
  const bitPath = join(vectors, 'SPEECH.BIT');
  const refPath = join(vectors, 'SPEECH.PST');
  const bitAPath = join(vectors, '..', 'g729AnnexA', 'SPEECH.BIT');
  const refAPath = join(vectors, '..', 'g729AnnexA', 'SPEECH.PST');
  if (!existsSync(bitPath) || !existsSync(refPath) || !existsSync(bitAPath) || !existsSync(refAPath)) {
    process.stderr.write(`g729 bench: ${bitPath} or the Annex A vector not found, skipped\n`);
    return [];
  }
  const speechFrames = (path: string): Uint8Array[] =>
    parseItuSerial(new Uint8Array(readFileSync(path))).filter((f): f is Uint8Array => f !== null && f.length === 10);
  const frames = speechFrames(bitPath);
  /** Accuracy pairs: each SPEECH.BIT (main body / Annex A encoder) with its reference decoder output. */
  const pairs = [
    { label: 'G.729', frames, ref: readPcm(refPath) },
    { label: 'G.729A', frames: speechFrames(bitAPath), ref: readPcm(refAPath) },
  ];
  /** SNR of a decoder (frames → PCM) against both references. */
  const snrPair = (decode: (f: Uint8Array[], name: string) => Int16Array | undefined): string =>
    pairs.map((p) => {
      const pcm = decode(p.frames, p.label);
      return pcm === undefined ? `${p.label} n/a` : `${p.label} ${fmtSnr(snrDb(p.ref, pcm))}`;
    }).join(' / ');
  const audioSeconds = (frames.length * 80 * REPEAT) / 8000;
  const dir = mkdtempSync(join(tmpdir(), 'recorder-bench-g729-'));
  try {
    const raw = join(dir, 'speech.g729');
    writeFileSync(raw, Buffer.concat(frames.map((f) => Buffer.from(f))));
    const rawLong = join(dir, 'speech-long.g729');
    writeFileSync(rawLong, Buffer.concat(Array.from({ length: REPEAT }, () => readFileSync(raw))));

    // Ours, best of RUNS, after warm-up passes so the JIT has compiled the decoder (steady state,
    // as in a long-running recorder).
    decodeOurs(frames, 'g729', WARMUP_PASSES);
    decodeOurs(frames, 'g729a', WARMUP_PASSES);
    const ours: Record<G729Variant, number> = { g729: Infinity, g729a: Infinity };
    const oursSnr: Record<G729Variant, string> = { g729: '', g729a: '' };
    for (const variant of ['g729', 'g729a'] as const) {
      for (let r = 0; r < RUNS; r++) ours[variant] = Math.min(ours[variant], decodeOurs(frames, variant, REPEAT).seconds);
      oursSnr[variant] = snrPair((f) => decodeOurs(f, variant, 1).pcm);
    }
    // The same decoders with the TypeScript loops only (what runs where the WebAssembly module is absent).
    decodeOurs(frames, 'g729', WARMUP_PASSES, 'js');
    decodeOurs(frames, 'g729a', WARMUP_PASSES, 'js');
    const oursJs: Record<G729Variant, number> = { g729: Infinity, g729a: Infinity };
    for (const variant of ['g729', 'g729a'] as const) {
      for (let r = 0; r < RUNS; r++) oursJs[variant] = Math.min(oursJs[variant], decodeOurs(frames, variant, REPEAT, 'js').seconds);
    }

    // bcg729 via the C harness.
    let bcgSeconds: number | undefined;
    let bcgSnr: string | undefined;
    const harness = join(root, 'bench', 'native', 'bcg729-decode.c');
    const exe = join(dir, 'bcg729-decode');
    if (have('cc') && existsSync(harness)) {
      const build = spawnSync('cc', ['-O2', '-o', exe, harness, '-lbcg729'], { encoding: 'utf8' });
      if (build.status === 0) {
        const times: number[] = [];
        for (let r = 0; r < RUNS; r++) {
          const run = spawnSync(exe, [rawLong, join(dir, 'bcg.s16'), '1'], { encoding: 'utf8' });
          if (run.status === 0) times.push(Number(run.stdout.trim()));
        }
        if (times.length > 0) bcgSeconds = Math.min(...times);
        bcgSnr = snrPair((f, name) => {
          const input = join(dir, `${name}.g729`);
          writeFileSync(input, Buffer.concat(f.map((x) => Buffer.from(x))));
          const once = spawnSync(exe, [input, join(dir, 'bcg-once.s16'), '1'], { encoding: 'utf8' });
          return once.status === 0 ? readPcm(join(dir, 'bcg-once.s16')) : undefined;
        });
      } else process.stderr.write(`g729 bench: building the bcg729 harness failed: ${build.stderr}\n`);
    }

    // ffmpeg, whole process.
    let ffSeconds: number | undefined;
    let ffSnr: string | undefined;
    if (have('ffmpeg')) {
      const times: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const started = process.hrtime.bigint();
        const run = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-threads', '1', '-f', 'g729', '-i', rawLong, '-f', 's16le', '-y', '/dev/null']);
        if (run.status === 0) times.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
      if (times.length > 0) ffSeconds = Math.min(...times);
      ffSnr = snrPair((f, name) => {
        const input = join(dir, `${name}.g729`);
        writeFileSync(input, Buffer.concat(f.map((x) => Buffer.from(x))));
        const out = join(dir, 'ff.s16');
        const once = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-threads', '1', '-f', 'g729', '-i', input, '-f', 's16le', '-y', out]);
        return once.status === 0 ? readPcm(out) : undefined;
      });
    }

    const accuracy = 'SNR vs the ITU reference decoder outputs (G.729 SPEECH.BIT→.PST / G.729A SPEECH.BIT→.PST): '
      + `ours-g729 ${oursSnr.g729}, ours-g729a ${oursSnr.g729a}`
      + (bcgSnr !== undefined ? `, bcg729 ${bcgSnr}` : '')
      + (ffSnr !== undefined ? `, ffmpeg ${ffSnr}` : '');
    const rss = process.resourceUsage().maxRSS / 1024;
    const rows: BenchRow[] = [];
    for (const variant of ['g729', 'g729a'] as const) {
      rows.push({
        task: `G.729 decode, ${variant === 'g729' ? 'full G.729' : 'Annex A'} decoder (1 core)`,
        unit: 'x realtime',
        ours: audioSeconds / ours[variant],
        ...(bcgSeconds !== undefined ? { native: audioSeconds / bcgSeconds, nativeTool: 'libbcg729 (G.729A-class decoder, C harness, decode loop only)' } : {}),
        peakRssMb: rss,
        note: `WebAssembly kernels (the default); SPEECH.BIT ×${REPEAT} = ${audioSeconds.toFixed(1)} s of audio, decode loop only, best of ${RUNS} (ours after ${WARMUP_PASSES} warm-up passes per variant); ${accuracy}`,
      });
    }
    for (const variant of ['g729', 'g729a'] as const) {
      rows.push({
        task: `G.729 decode, ${variant === 'g729' ? 'full G.729' : 'Annex A'} decoder, TypeScript loops only (1 core)`,
        unit: 'x realtime',
        ours: audioSeconds / oursJs[variant],
        ...(bcgSeconds !== undefined ? { native: audioSeconds / bcgSeconds, nativeTool: 'libbcg729 (G.729A-class decoder, C harness, decode loop only)' } : {}),
        peakRssMb: rss,
        note: `kernels: 'js' (no WebAssembly); same samples as the row above; SPEECH.BIT ×${REPEAT}, best of ${RUNS}`,
      });
    }
    if (ffSeconds !== undefined) {
      rows.push({
        task: 'G.729 decode vs ffmpeg (1 core)',
        unit: 'x realtime',
        ours: audioSeconds / ours.g729,
        native: audioSeconds / ffSeconds,
        nativeTool: 'ffmpeg -threads 1 -f g729 → s16le (whole process)',
        note: `ours: full G.729 decoder, decode loop only; ffmpeg: whole process incl. start-up; ffmpeg SNR vs G.729 / G.729A reference ${ffSnr ?? 'n/a'}`,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
