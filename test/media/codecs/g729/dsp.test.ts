/**
 * The hot loops inline the saturating arithmetic (and take shortcuts when saturation is
 * provably impossible). Here each is checked against the same computation written with the
 * basic operators one by one, on random inputs that include full-scale and saturating cases.
 */
import { describe, expect, it } from 'vitest';
import {
  L_add, L_mac, L_msu, L_mult, L_shl, L_shr_r, L_sub, MAX_32, MIN_32, Mpy_32_16, round,
} from '../../../../src/media/codecs/g729/basicops.js';
import { dotProduct, energy, gammaPowers, lspToAz, predLt3, residu, SynthesisFilter, weightAzPow } from '../../../../src/media/codecs/g729/dsp.js';
import { HighPassFilter } from '../../../../src/media/codecs/g729/postprocess.js';
import { a100, b100, inter3l } from '../../../../src/media/codecs/g729/tables.js';
import { xorshift32 } from '../../../../src/platform/util/index.js';

const rng = xorshift32;

/** Random Word16 with a given magnitude limit; sometimes exactly ±full scale. */
function word(next: () => number, limit: number): number {
  const r = next() % 16;
  if (r === 0) return -32768;
  if (r === 1) return 32767;
  return (next() % (2 * limit + 1)) - limit;
}

/**
 * Syn_filt written out from the Recommendation's operator definitions (L_mult, L_msu, L_shl by 3, round), each
 * saturation raising the Overflow flag: outputs checked against the basic operators, the flag computed here on
 * its own from the exact products and sums.
 */
function refSynFilt(a: Int16Array, x: Int16Array, lg: number, mem: Int16Array): { y: Int16Array; ovf: number } {
  const yy = new Int16Array(10 + lg);
  yy.set(mem);
  let ovf = 0;
  const saturate32 = (v: number): number => {
    if (v > MAX_32 || v < MIN_32) ovf = 1;
    return Math.min(MAX_32, Math.max(MIN_32, v));
  };
  for (let i = 0; i < lg; i++) {
    let s = L_mult(x[i]!, a[0]!);
    let flagged = saturate32(2 * x[i]! * a[0]!);
    for (let j = 1; j <= 10; j++) {
      s = L_msu(s, a[j]!, yy[10 + i - j]!);
      flagged = saturate32(flagged - saturate32(2 * a[j]! * yy[10 + i - j]!));
    }
    s = L_shl(s, 3);
    flagged = saturate32(flagged * 8);
    yy[10 + i] = round(s);
    expect(saturate32(flagged + 0x8000) >> 16).toBe(yy[10 + i]);
  }
  return { y: yy.slice(10), ovf };
}

describe('G.729 inlined DSP loops equal the operator-by-operator computation', () => {
  it('synthesis filter: outputs and Overflow flag (fast and saturating paths)', () => {
    const next = rng(1);
    let overflows = 0;
    for (let trial = 0; trial < 400; trial++) {
      const coefLimit = trial % 2 === 0 ? 2000 : 32767; // small filters take the fast path
      const a = new Int16Array(11);
      a[0] = 4096;
      for (let j = 1; j <= 10; j++) a[j] = word(next, coefLimit);
      if (trial % 7 === 0) a[3] = -32768;
      const x = new Int16Array(40);
      const xLimit = trial % 3 === 0 ? 32767 : 3000;
      for (let i = 0; i < 40; i++) x[i] = word(next, xLimit);
      const mem = new Int16Array(10);
      for (let i = 0; i < 10; i++) mem[i] = word(next, xLimit);
      const ref = refSynFilt(a, x, 40, mem);
      const y = new Int16Array(40);
      const memCopy = mem.slice();
      const overflowed = new SynthesisFilter().run(a, 0, x, 0, y, 0, 40, memCopy, true);
      expect(Array.from(y)).toEqual(Array.from(ref.y));
      expect(overflowed ? 1 : 0).toBe(ref.ovf);
      expect(Array.from(memCopy)).toEqual(Array.from(ref.y.slice(30)));
      overflows += ref.ovf;
    }
    expect(overflows).toBeGreaterThan(20); // the saturating cases were exercised
  });

  it('inverse filter A(z)', () => {
    const next = rng(2);
    for (let trial = 0; trial < 300; trial++) {
      const a = new Int16Array(11);
      a[0] = 4096;
      for (let j = 1; j <= 10; j++) a[j] = word(next, trial % 2 ? 2000 : 32767);
      const x = new Int16Array(50);
      for (let i = 0; i < 50; i++) x[i] = word(next, trial % 3 ? 32767 : 1000);
      const y = new Int16Array(40);
      residu(a, 0, x, 10, y, 0, 40);
      for (let i = 0; i < 40; i++) {
        let s = L_mult(x[10 + i]!, a[0]!);
        for (let j = 1; j <= 10; j++) s = L_mac(s, a[j]!, x[10 + i - j]!);
        expect(y[i]).toBe(round(L_shl(s, 3)));
      }
    }
  });

  it('fractional-delay adaptive codebook (including lags shorter than the subframe)', () => {
    const next = rng(3);
    for (let trial = 0; trial < 300; trial++) {
      const limit = trial % 2 ? 32767 : 15000;
      const exc = new Int16Array(154 + 40);
      for (let i = 0; i < 154; i++) exc[i] = word(next, limit);
      const t0 = 20 + (next() % 124);
      const frac = (next() % 3) - 1;
      const ref = exc.slice();
      // Reference Pred_lt_3 with the operators.
      {
        let x0 = 154 - t0;
        let f = -frac;
        if (f < 0) {
          f += 3;
          x0--;
        }
        for (let j = 0; j < 40; j++) {
          const x1 = x0++;
          const x2 = x0;
          let s = 0;
          for (let i = 0, k = 0; i < 10; i++, k += 3) {
            s = L_mac(s, ref[x1 - i]!, inter3l[f + k]!);
            s = L_mac(s, ref[x2 + i]!, inter3l[3 - f + k]!);
          }
          ref[154 + j] = round(s);
        }
      }
      predLt3(exc, 154, t0, frac, 40);
      expect(Array.from(exc)).toEqual(Array.from(ref));
    }
  });

  it('saturating dot product', () => {
    const next = rng(4);
    for (let trial = 0; trial < 300; trial++) {
      const x = new Int16Array(40);
      const y = new Int16Array(40);
      for (let i = 0; i < 40; i++) {
        x[i] = word(next, 32767);
        y[i] = trial % 2 ? x[i]! : word(next, 32767);
      }
      let s = trial % 5 === 0 ? 2000000000 : 0;
      const start = s;
      for (let i = 0; i < 40; i++) s = L_mac(s, x[i]!, y[i]!);
      expect(dotProduct(start, x, 0, y, 0, 40)).toBe(s);
    }
  });

  it('100 Hz high-pass post-processing', () => {
    const next = rng(5);
    const hpf = new HighPassFilter();
    let y1Hi = 0, y1Lo = 0, y2Hi = 0, y2Lo = 0, x0 = 0, x1 = 0;
    for (let block = 0; block < 100; block++) {
      const sig = new Int16Array(80);
      for (let i = 0; i < 80; i++) sig[i] = word(next, block % 2 ? 32767 : 2000);
      const ref = sig.slice();
      for (let i = 0; i < 80; i++) {
        const x2 = x1;
        x1 = x0;
        x0 = ref[i]!;
        let L = Mpy_32_16(y1Hi, y1Lo, a100[1]!);
        L = L_add(L, Mpy_32_16(y2Hi, y2Lo, a100[2]!));
        L = L_mac(L, x0, b100[0]!);
        L = L_mac(L, x1, b100[1]!);
        L = L_mac(L, x2, b100[2]!);
        L = L_shl(L, 2);
        ref[i] = round(L_shl(L, 1));
        y2Hi = y1Hi;
        y2Lo = y1Lo;
        y1Hi = L >> 16;
        y1Lo = (L >> 1) - y1Hi * 32768;
      }
      hpf.run(sig, 0, 80);
      expect(Array.from(sig)).toEqual(Array.from(ref));
    }
  });

  it('synthesis filter with large coefficients: per-sample choice between the exact-sum and step-by-step paths', () => {
    // Real LP filters have |a1| + … + |a10| well above 1.0 (Q12): whether a sample may take the
    // plain sum depends on the signal level reached so far, and can change within a subframe.
    const next = rng(6);
    let overflows = 0;
    for (let trial = 0; trial < 400; trial++) {
      const a = new Int16Array(11);
      a[0] = 4096;
      for (let j = 1; j <= 10; j++) a[j] = word(next, 12000 + (trial % 4) * 5000);
      const x = new Int16Array(40);
      const ramp = trial % 5 === 0 ? 32767 : 200 + (trial % 7) * 1500;
      for (let i = 0; i < 40; i++) x[i] = (next() % (2 * ramp + 1)) - ramp;
      const mem = new Int16Array(10);
      for (let i = 0; i < 10; i++) mem[i] = (next() % 4001) - 2000;
      const ref = refSynFilt(a, x, 40, mem);
      const memCopy = mem.slice();
      const y = x.slice(); // in place, as the postfilter calls it
      const overflowed = new SynthesisFilter().run(a, 0, y, 0, y, 0, 40, memCopy, true);
      expect(Array.from(y)).toEqual(Array.from(ref.y));
      expect(overflowed ? 1 : 0).toBe(ref.ovf);
      overflows += ref.ovf;
    }
    expect(overflows).toBeGreaterThan(10);
  });

  it('dot product: exact-sum shortcut and saturating fallback, any starting value', () => {
    const next = rng(7);
    let saturated = 0;
    for (let trial = 0; trial < 600; trial++) {
      const n = 1 + (next() % 60);
      const limit = [100, 3000, 9000, 32767][trial % 4]!;
      const x = new Int16Array(n);
      const y = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = word(next, limit);
        y[i] = word(next, limit);
      }
      const start = [0, 1, -2000000000, 2100000000, (next() % 2000001) - 1000000][trial % 5]!;
      let s = start;
      for (let i = 0; i < n; i++) s = L_mac(s, x[i]!, y[i]!);
      if (s === 2147483647 || s === -2147483648) saturated++;
      expect(dotProduct(start, x, 0, y, 0, n)).toBe(s);
    }
    expect(saturated).toBeGreaterThan(50);
  });

  it('energy: one final clamp equals saturation at every step (including -32768)', () => {
    const next = rng(8);
    let saturated = 0;
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + (next() % 60);
      const limit = [50, 5000, 12000, 32767][trial % 4]!;
      const x = new Int16Array(n);
      for (let i = 0; i < n; i++) x[i] = word(next, limit);
      const start = trial % 3 === 0 ? 1 : 0;
      let s = start;
      for (let i = 0; i < n; i++) s = L_mac(s, x[i]!, x[i]!);
      if (s === 2147483647) saturated++;
      expect(energy(start, x, 0, n)).toBe(s);
    }
    expect(saturated).toBeGreaterThan(50);
  });

  it('LP weighting a[i] * gamma^i', () => {
    const next = rng(9);
    for (let trial = 0; trial < 300; trial++) {
      const a = new Int16Array(11);
      for (let j = 0; j <= 10; j++) a[j] = word(next, 32767);
      const gamma = [22938, 18022, 32767, 1 + (next() % 32767)][trial % 4]!;
      const ap = new Int16Array(11);
      weightAzPow(a, 0, gammaPowers(gamma), ap);
      const ref = new Int16Array(11);
      ref[0] = a[0]!;
      let fac = gamma;
      for (let i = 1; i < 10; i++) {
        ref[i] = round(L_mult(a[i]!, fac));
        fac = round(L_mult(fac, gamma));
      }
      ref[10] = round(L_mult(a[10]!, fac));
      expect(Array.from(ap)).toEqual(Array.from(ref));
    }
  });

  it('LSP to LP coefficients (Get_lsp_pol / Lsp_Az), including saturating polynomials', () => {
    const next = rng(10);
    const refPol = (lsp: Int16Array, start: number): number[] => {
      const f = [L_mult(4096, 2048), L_msu(0, lsp[start]!, 512), 0, 0, 0, 0];
      for (let i = 2, li = start + 2; i <= 5; i++, li += 2) {
        f[i] = f[i - 2]!;
        for (let p = i; p >= 2; p--) {
          const hi = f[p - 1]! >> 16;
          const lo = (f[p - 1]! >> 1) - hi * 32768;
          const t0 = L_shl(Mpy_32_16(hi, lo, lsp[li]!), 1);
          f[p] = L_sub(L_add(f[p]!, f[p - 2]!), t0);
        }
        f[1] = L_msu(f[1]!, lsp[li]!, 512);
      }
      return f;
    };
    for (let trial = 0; trial < 400; trial++) {
      const lsp = new Int16Array(10);
      if (trial % 2 === 0) {
        // Ordered cosines, as the decoder produces them.
        const w = Array.from({ length: 10 }, () => next() % 32768).sort((p, q) => p - q);
        for (let i = 0; i < 10; i++) lsp[i] = Math.round(32767 * Math.cos((Math.PI * w[i]!) / 32768));
      } else for (let i = 0; i < 10; i++) lsp[i] = word(next, 32767); // arbitrary: saturation
      const f1 = refPol(lsp, 0);
      const f2 = refPol(lsp, 1);
      for (let i = 5; i > 0; i--) {
        f1[i] = L_add(f1[i]!, f1[i - 1]!);
        f2[i] = L_sub(f2[i]!, f2[i - 1]!);
      }
      const ref = new Int16Array(11);
      ref[0] = 4096;
      for (let i = 1, j = 10; i <= 5; i++, j--) {
        ref[i] = L_shr_r(L_add(f1[i]!, f2[i]!), 13);
        ref[j] = L_shr_r(L_sub(f1[i]!, f2[i]!), 13);
      }
      const a = new Int16Array(11);
      lspToAz(lsp, a, 0);
      expect(Array.from(a)).toEqual(Array.from(ref));
    }
  });
});
