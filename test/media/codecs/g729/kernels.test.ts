/**
 * The G.729 WebAssembly kernels against the TypeScript loops they replace: the module is built (npm ci and
 * npm run build make it), each kernel gives the same samples as its TypeScript twin on random and extreme
 * inputs (including the inputs where it must hand over to the saturating path), and whole decoders with and
 * without the kernels give identical output on 10^6 random frames (half per variant) — frames of the ITU vectors with
 * bits flipped, random speech frames, SID, untransmitted and erased frames — besides the ITU vectors
 * (vectors.test.ts decodes each with both).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { G729Decoder, kernelsAvailable, kernelsUnavailableReason, parseItuSerial } from '../../../../src/media/codecs/g729/index.js';
import type { G729Variant } from '../../../../src/media/codecs/g729/index.js';
import { predLt3, residu } from '../../../../src/media/codecs/g729/dsp.js';
import { KernelArena } from '../../../../src/media/codecs/g729/kernels.js';
import { L_add, L_mult } from '../../../../src/media/codecs/g729/basicops.js';
import { inter3l } from '../../../../src/media/codecs/g729/tables.js';
import { xorshift32 } from '../../../../src/platform/util/index.js';

const VECTORS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/codecs/g729/itu-test-vectors');

function arena(): KernelArena {
  const a = KernelArena.open('wasm');
  if (!a) throw new Error('no kernel arena');
  return a;
}

/** A random Word16 of the given magnitude class: small, speech-like, or anywhere up to the extremes. */
function sample(next: () => number, scale: number): number {
  const v = (next() % (2 * scale + 1)) - scale;
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

describe('G.729 WebAssembly kernels', () => {
  it('are built and load here', () => {
    expect(kernelsAvailable(), `G.729 kernels unavailable: ${kernelsUnavailableReason()} — npm run build makes them`).toBe(true);
    expect(new G729Decoder({ kernels: 'auto' }).kernels).toBe('wasm');
    expect(new G729Decoder({ variant: 'g729a' }).kernels).toBe('wasm');
    expect(new G729Decoder({ kernels: 'js' }).kernels).toBe('js');
  });

  it('predLt3: the same excitation as the TypeScript loop for every lag and fraction, in the fast and the saturating range', () => {
    const a = arena();
    const next = xorshift32(0x5eed);
    const size = 400;
    const exc = a.int16(size);
    const plain = new Int16Array(size);
    const off = 200;
    let cases = 0;
    for (const scale of [300, 5000, 18000, 32768]) {
      for (let t0 = 19; t0 <= 143; t0++) {
        for (const frac of [-1, 0, 1]) {
          for (let i = 0; i < size; i++) plain[i] = sample(next, scale);
          exc.set(plain);
          predLt3(plain, off, t0, frac, 40);
          a.exports.predLt3(exc.byteOffset, off, t0, frac, 40, a.inter3lAddress);
          for (let i = 0; i < size; i++) if (exc[i] !== plain[i]) expect.fail(`predLt3 t0 ${t0} frac ${frac} scale ${scale}: sample ${i} ${exc[i]} ≠ ${plain[i]}`);
          cases++;
        }
      }
    }
    expect(cases).toBe(4 * 125 * 3);
  });

  it('predLt3: lengths that are not a multiple of 4 agree with the standard saturating sum (TypeScript and WebAssembly)', () => {
    const a = arena();
    const next = xorshift32(77);
    const exc = a.int16(300);
    const plain = new Int16Array(300);
    for (const L of [1, 3, 41, 42, 43]) {
      for (const scale of [2000, 32768]) {
        for (const frac of [-1, 0, 1]) {
          for (let i = 0; i < 300; i++) plain[i] = sample(next, scale);
          const expected = Int16Array.from(plain);
          const off = 150;
          const t0 = 60;
          // Pred_lt_3 step by step with the standard's operators.
          let x0 = off - t0;
          let f = -frac;
          if (f < 0) {
            f += 3;
            x0--;
          }
          for (let j = 0; j < L; j++, x0++) {
            let s = 0;
            for (let i = 0, k = 0; i < 10; i++, k += 3) {
              s = L_add(s, L_mult(expected[x0 - i]!, inter3l[f + k]!));
              s = L_add(s, L_mult(expected[x0 + 1 + i]!, inter3l[3 - f + k]!));
            }
            expected[off + j] = L_add(s, 0x8000) >> 16;
          }
          exc.set(plain);
          predLt3(plain, off, t0, frac, L);
          a.exports.predLt3(exc.byteOffset, off, t0, frac, L, a.inter3lAddress);
          expect(Array.from(plain), `TypeScript, L ${L}, frac ${frac}, scale ${scale}`).toEqual(Array.from(expected));
          expect(Array.from(exc), `WebAssembly, L ${L}, frac ${frac}, scale ${scale}`).toEqual(Array.from(expected));
        }
      }
    }
  });

  it('residu: the same residual and magnitude bits, or -1 (and nothing written) where a partial sum could saturate', () => {
    const a = arena();
    const next = xorshift32(4242);
    const coef = a.int16(11);
    const x = a.int16(60);
    const y = a.int16(40);
    const plainY = new Int16Array(40);
    let handedOver = 0;
    let fast = 0;
    for (let round = 0; round < 4000; round++) {
      const coefScale = [4096, 12000, 32768][round % 3]!;
      for (let k = 0; k < 11; k++) coef[k] = sample(next, coefScale);
      const xScale = [100, 4000, 32768][Math.floor(round / 3) % 3]!;
      for (let k = 0; k < 60; k++) x[k] = sample(next, xScale);
      y.fill(0x5555);
      const mag = a.exports.residu(coef.byteOffset, x.byteOffset + 20, y.byteOffset, 40);
      const expectedMag = residu(coef, 0, x, 10, plainY, 0, 40);
      if (mag < 0) {
        handedOver++;
        expect(y.every((v) => v === 0x5555)).toBe(true);
        continue;
      }
      fast++;
      expect(mag).toBe(expectedMag);
      expect(Array.from(y)).toEqual(Array.from(plainY));
    }
    expect(fast).toBeGreaterThan(1000);
    expect(handedOver).toBeGreaterThan(100);
  });

  it('lagCorrelations: the plain sums of products, 3 and 7 lags', () => {
    const a = arena();
    const next = xorshift32(99);
    const x = a.int16(400);
    const out = a.int32(9);
    for (let round = 0; round < 500; round++) {
      for (let k = 0; k < 400; k++) x[k] = sample(next, 4096);
      const s = 200 + (round % 40);
      const dMin = 19 + (round % 120);
      for (const count of [3, 7]) {
        a.exports.lagCorrelations(x.byteOffset, s, dMin, count, out.byteOffset);
        for (let j = 0; j < count; j++) {
          let c = 0;
          for (let n = 0; n < 40; n++) c = (c + x[s + n]! * x[s + n - dMin - j]!) | 0;
          expect(out[j]).toBe(c);
        }
        let e = 0;
        let ed = 0;
        for (let n = 0; n < 40; n++) {
          e += x[s + n]! * x[s + n]!;
          ed += x[s + n - dMin]! * x[s + n - dMin]!;
        }
        expect([out[count], out[count + 1]]).toEqual([e, ed]);
      }
    }
  });
});

type Frame = Uint8Array | null;

/** The speech frames of the ITU vectors (both folders), the source of realistic frames. */
function vectorFrames(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const dir of ['g729', 'g729AnnexA']) {
    for (const name of ['ALGTHM', 'FIXED', 'LSP', 'PITCH', 'SPEECH', 'TAME', 'ERASURE', 'PARITY', 'OVERFLOW']) {
      const path = resolve(VECTORS, dir, `${name}.BIT`);
      if (!existsSync(path)) continue;
      for (const f of parseItuSerial(new Uint8Array(readFileSync(path)))) if (f && f.length === 10) frames.push(f);
    }
  }
  return frames;
}

/** Frame i of a seeded stream: a vector frame with 0–3 bits flipped (60 %), random speech (25 %), SID, DTX or erased. */
function frameSource(seed: number, real: Uint8Array[]): (i: number) => Frame {
  const next = xorshift32(seed);
  return () => {
    const kind = next() % 20;
    if (kind < 12 && real.length > 0) {
      const f = Uint8Array.from(real[next() % real.length]!);
      for (let flips = next() % 4; flips > 0; flips--) f[next() % 10]! ^= 1 << (next() % 8);
      return f;
    }
    if (kind < 17) {
      const f = new Uint8Array(10);
      for (let j = 0; j < 10; j++) f[j] = next() & 0xff;
      return f;
    }
    if (kind === 17) return Uint8Array.of(next() & 0xff, next() & 0xfe);
    if (kind === 18) return new Uint8Array(0);
    return null;
  };
}

describe('G.729 decoders with and without the WebAssembly kernels', () => {
  const FRAMES = 500_000;
  /** A new pair of decoders every so often: start-up state as well as long runs. */
  const STREAM = 25_000;
  const real = vectorFrames();
  for (const variant of ['g729', 'g729a'] as G729Variant[]) {
    it(`${variant}: identical samples on ${FRAMES.toLocaleString('en')} random frames`, { timeout: 300_000 }, async () => {
      const frame = frameSource(variant === 'g729' ? 0xc0de : 0xbeef, real);
      const withKernels = new Int16Array(80);
      const without = new Int16Array(80);
      let wasm = new G729Decoder({ variant, kernels: 'wasm' });
      let js = new G729Decoder({ variant, kernels: 'js' });
      let nonZero = 0;
      for (let i = 0; i < FRAMES; i++) {
        // Let the test runner's messages through now and then (a long synchronous loop starves them).
        if (i % 5000 === 0) await new Promise((done) => setImmediate(done));
        if (i > 0 && i % STREAM === 0) {
          wasm = new G729Decoder({ variant, kernels: 'wasm' });
          js = new G729Decoder({ variant, kernels: 'js' });
        }
        const f = frame(i);
        wasm.decodeFrame(f, withKernels, 0);
        js.decodeFrame(f, without, 0);
        for (let n = 0; n < 80; n++) {
          if (withKernels[n] !== without[n]) expect.fail(`${variant} frame ${i} (${f === null ? 'erased' : `${f.length} bytes`}), sample ${n}: ${withKernels[n]} with the kernels, ${without[n]} without`);
        }
        if (withKernels[40] !== 0) nonZero++;
      }
      // The stream is not silence: most frames carry signal.
      expect(nonZero).toBeGreaterThan(FRAMES / 2);
      expect(real.length).toBeGreaterThan(1000);
    });
  }
});

describe('G.729 kernel memory', () => {
  it('20,000 live decoders share 318 instances; slots of collected decoders are reused, zeroed', { timeout: 120_000 }, async () => {
    // In a child with --expose-gc, so collection can be forced; the script prints JSON.
    const script = `
      import { G729Decoder, parseItuSerial } from './src/media/codecs/g729/index.js';
      import { kernelPoolStats } from './src/media/codecs/g729/kernels.js';
      import { readFileSync } from 'node:fs';
      const frames = parseItuSerial(new Uint8Array(readFileSync(process.argv[1])));
      const decode = (kernels) => {
        const d = new G729Decoder({ kernels });
        const out = new Int16Array(frames.length * 80);
        frames.forEach((f, i) => d.decodeFrame(f, out, i * 80));
        return out;
      };
      let live = [];
      for (let i = 0; i < 20000; i++) live.push(new G729Decoder({ variant: i % 2 ? 'g729' : 'g729a', kernels: 'wasm' }));
      const full = kernelPoolStats();
      // Dirty every slot, then let all go.
      const dirt = new Int16Array(80);
      for (const d of live) d.decodeFrame(frames[5], dirt, 0);
      live = [];
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
      const after = kernelPoolStats();
      const reused = decode('wasm');
      const reference = decode('js');
      const same = reused.every((v, i) => v === reference[i]);
      console.log(JSON.stringify({ full, after, again: kernelPoolStats(), same, samples: reused.length }));
    `;
    const { spawnSync } = await import('node:child_process');
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script, resolve(VECTORS, 'g729', 'SPEECH.BIT')], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { full: { pools: number; slotsInUse: number }; after: { slotsInUse: number }; again: { pools: number; slotsInUse: number }; same: boolean; samples: number };
    expect(result.full).toEqual({ pools: 318, slotsInUse: 20000 });
    expect(result.after.slotsInUse).toBeLessThan(100);
    expect(result.again.pools).toBe(318);
    expect(result.same).toBe(true);
    expect(result.samples).toBeGreaterThan(10000);
  });
});
