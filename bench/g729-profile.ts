/**
 * Standalone G.729 decode-speed probe for optimisation work (not part of bench/run.ts):
 * times both variants of our decoder and libbcg729 (C harness) alternately in the same
 * run, by CPU time (best of the rounds), so the ratios are comparable even on a busy shared machine.
 *
 *   node dist/bench/g729-profile.js [rounds=5] [only=g729|g729a] [--no-native] [--js]
 *
 * --js: the TypeScript loops instead of the WebAssembly kernels.
 *
 * With only=…, the decode loop of that variant runs alone (e.g. under node --cpu-prof).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { G729Decoder, parseItuSerial } from '../src/media/codecs/g729/index.js';
import type { G729Variant } from '../src/media/codecs/g729/index.js';
import { findRoot } from './tools.js';


const REPEAT = 2;
/** The C decoder is fast: more passes per run so `times` (1 ms resolution) is precise. */
const NATIVE_REPEAT = 10;
const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const only = args.find((a) => a === 'g729' || a === 'g729a') as G729Variant | undefined;
const native = !args.includes('--no-native') && only === undefined;
const kernels = args.includes('--js') ? 'js' : 'wasm';

const root = findRoot();
const bitPath = join(root, '..', 'shared', 'codecs', 'g729', 'itu-test-vectors', 'g729', 'SPEECH.BIT');
const frames = parseItuSerial(new Uint8Array(readFileSync(bitPath))).filter((f): f is Uint8Array => f !== null && f.length === 10);
const audioSeconds = (frames.length * 80 * REPEAT) / 8000;
const pcm = new Int16Array(frames.length * 80);

/** Seconds of CPU time (user + system) for `repeat` decodes: less disturbed than wall time on a shared machine. */
function decodeOurs(variant: G729Variant, repeat: number): number {
  const started = process.cpuUsage();
  for (let r = 0; r < repeat; r++) {
    const d = new G729Decoder({ variant, kernels });
    for (let f = 0; f < frames.length; f++) d.decodeFrame(frames[f]!, pcm, f * 80);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1e6;
}

/** CPU time of one run of the C harness (`times` of a shell), decoding NATIVE_REPEAT passes; seconds per REPEAT passes. */
function decodeNative(exe: string, input: string, output: string): number | undefined {
  const run = spawnSync('bash', ['-c', `"$0" "$1" "$2" ${NATIVE_REPEAT} >/dev/null && times`, exe, input, output], { encoding: 'utf8' });
  if (run.status !== 0) return undefined;
  const m = /^\S+\s+\S+\s*\n(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/m.exec(run.stdout);
  if (!m) return undefined;
  const seconds = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
  return seconds / NATIVE_REPEAT;
}

const dir = mkdtempSync(join(tmpdir(), 'g729-profile-'));
try {
  let exe: string | undefined;
  const rawLong = join(dir, 'speech-long.g729');
  if (native) {
    const one = Buffer.concat(frames.map((f) => Buffer.from(f)));
    writeFileSync(rawLong, Buffer.concat(Array.from({ length: REPEAT }, () => one)));
    const harness = join(root, 'bench', 'native', 'bcg729-decode.c');
    exe = join(dir, 'bcg729-decode');
    if (spawnSync('cc', ['-O2', '-o', exe, harness, '-lbcg729']).status !== 0) exe = undefined;
  }
  const variants: G729Variant[] = only ? [only] : ['g729', 'g729a'];
  for (const v of variants) decodeOurs(v, 3);
  const best: Record<string, number> = { g729: Infinity, g729a: Infinity, bcg729: Infinity };
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) best[v] = Math.min(best[v]!, decodeOurs(v, REPEAT));
    if (exe) {
      const t = decodeNative(exe, rawLong, join(dir, 'bcg.s16'));
      if (t !== undefined) best.bcg729 = Math.min(best.bcg729!, t);
    }
  }
  const line = variants.map((v) => `${v} ${(audioSeconds / best[v]!).toFixed(0)}x`);
  if (exe) {
    line.push(`bcg729 ${(audioSeconds / best.bcg729!).toFixed(0)}x`);
    for (const v of variants) line.push(`${v}/bcg ${(best.bcg729! / best[v]!).toFixed(3)}`);
  }
  process.stdout.write(`${line.join('  ')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
