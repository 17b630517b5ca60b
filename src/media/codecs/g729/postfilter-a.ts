/**
 * Reduced-complexity postfilter of G.729 Annex A: integer-delay harmonic postfilter
 * searched around the decoded lag, short-term postfilter, first-order tilt
 * compensation and gain control. One call per frame; output replaces the synthesis.
 */
import {
  L_mult, L_shl, L_shr, L_sub, MIN_32, add, div_s, invSqrt, mult, norm_l, round, shr, sub,
} from './basicops.js';
import { dotProduct, energy, gammaPowers, residu, SynthesisFilter, weightAzPow } from './dsp.js';
import { int16In, int32In } from './kernels.js';
import type { KernelArena } from './kernels.js';

// Codec constants as local (non-exported) bindings: imported or exported module bindings are
// read through a cell with a hole check on every use, even in hot loops; local constants fold.
const L_FRAME = 80;
const L_SUBFR = 40;
const M = 10;
const MP1 = 11;
const PIT_MAX = 143;

const GAMMA2_PST = 18022;
const GAMMA1_PST = 22938;
/** gamma^i factors of the two weighted filters. */
const POW1 = gammaPowers(GAMMA1_PST);
const POW2 = gammaPowers(GAMMA2_PST);
const MU = 26214;
const AGC_FAC = 29491;
const AGC_FAC1 = 32767 - AGC_FAC;
const GAMMAP = 16384;
const INV_GAMMAP = 21845;
const GAMMAP_2 = 10923;
const L_H = 22;
const MAX_32 = 2147483647;
/** The impulse response starts from rest. */
const ZERO_MEM = new Int16Array(M);

export class G729APostFilter {
  /** Overflow of the synthesis filter is its own state (see SynthesisFilter); not read here. */
  private readonly synthesis = new SynthesisFilter();
  /** res2 of the frame after PIT_MAX samples of history (shifted once per frame). */
  private readonly res2: Int16Array;
  private readonly scalRes2: Int16Array;
  /** lagCorrelations' results (in the arena). */
  private readonly lagSums: Int32Array;
  /**
   * The OR of |scalRes2| (an upper bound of the largest magnitude, formed without branches) over
   * each of the last 5 subframes, newest first: with the current subframe at
   * R, scalRes2[R - 40k .. R - 40k + 40) is subframe k (R - 143 lies in subframe 4).
   */
  private readonly scalMag = new Int32Array(5);
  private readonly memSynPst = new Int16Array(M);
  private memPre = 0;
  private pastGain = 4096;

  private readonly ap3: Int16Array;
  /** The WebAssembly kernels' instance (res2 and ap3 live in its memory); null: TypeScript loops. */
  private readonly arena: KernelArena | null;
  private readonly ap4 = new Int16Array(MP1);
  private readonly h = new Int16Array(L_H);
  private readonly res2Pst = new Int16Array(L_SUBFR);
  private readonly synPst = new Int16Array(L_FRAME);
  /** Correlations with the 7 candidate delays t0Min..t0Max. */
  private readonly corr = new Float64Array(7);

  constructor(arena: KernelArena | null = null) {
    this.arena = arena;
    this.res2 = int16In(arena, PIT_MAX + L_FRAME);
    this.ap3 = int16In(arena, MP1);
    this.scalRes2 = int16In(arena, PIT_MAX + L_FRAME);
    this.lagSums = int32In(arena, 9);
  }

  reset(): void {
    this.res2.fill(0);
    this.scalRes2.fill(0);
    this.scalMag.fill(0);
    this.memSynPst.fill(0);
    this.memPre = 0;
    this.pastGain = 4096;
  }

  /**
   * Post_Filter: syn[synOff..+80) is the synthesis with M samples of history before it; the
   * postfiltered frame goes to {@link output} and the history is updated. t holds the two
   * subframe pitch lags. active = false (noise frame) bypasses the harmonic stage.
   */
  run(syn: Int16Array, synOff: number, az: Int16Array, t: Int32Array, active: boolean): void {
    const res2 = this.res2;
    const scal = this.scalRes2;
    for (let sf = 0, k = 0; sf < L_FRAME; sf += L_SUBFR, k++) {
      // This subframe's residual starts at R, after PIT_MAX samples of history.
      const R = PIT_MAX + sf;
      let t0Min = sub(t[k]!, 3);
      let t0Max = add(t0Min, 6);
      if (t0Max > PIT_MAX) {
        t0Max = PIT_MAX;
        t0Min = sub(t0Max, 6);
      }
      weightAzPow(az, k * MP1, POW2, this.ap3);
      weightAzPow(az, k * MP1, POW1, this.ap4);
      // With the kernels, syn is in the arena too (the decoder's synthesis buffer).
      if (!this.arena || this.arena.exports.residu(this.ap3.byteOffset, syn.byteOffset + (synOff + sf) * 2, res2.byteOffset + R * 2, L_SUBFR) < 0) {
        residu(this.ap3, 0, syn, synOff + sf, res2, R, L_SUBFR);
      }
      const mags = this.scalMag;
      mags[4] = mags[3]!;
      mags[3] = mags[2]!;
      mags[2] = mags[1]!;
      mags[1] = mags[0]!;
      let mag = 0;
      for (let j = 0; j < L_SUBFR; j++) {
        const v = res2[R + j]! >> 2;
        scal[R + j] = v;
        mag |= Math.abs(v);
      }
      mags[0] = mag;
      if (active) this.pitchPostFilter(t0Min, t0Max, R);
      else for (let j = 0; j < L_SUBFR; j++) this.res2Pst[j] = res2[R + j]!;

      // Tilt from the first two autocorrelations of the A(z/g2)/A(z/g1) impulse response.
      const h = this.h;
      h.set(this.ap3);
      h.fill(0, MP1);
      this.synthesis.run(this.ap4, 0, h, 0, h, 0, L_H, ZERO_MEM, false);
      const temp1 = energy(0, h, 0, L_H) >> 16;
      let temp2 = dotProduct(0, h, 0, h, 1, L_H - 1) >> 16;
      if (temp2 <= 0) temp2 = 0;
      else {
        temp2 = mult(temp2, MU);
        temp2 = div_s(temp2, temp1);
      }
      this.preemphasis(temp2);
      this.synthesis.run(this.ap4, 0, this.res2Pst, 0, this.synPst, sf, L_SUBFR, this.memSynPst, true);
      this.agc(syn, synOff + sf, sf);
    }
    res2.copyWithin(0, L_FRAME, L_FRAME + PIT_MAX);
    scal.copyWithin(0, L_FRAME, L_FRAME + PIT_MAX);
    syn.copyWithin(synOff - M, synOff + L_FRAME - M, synOff + L_FRAME);
  }

  /** The postfiltered frame of the last {@link run}. */
  get output(): Int16Array {
    return this.synPst;
  }

  /** pit_pst_filt: best integer delay in [t0Min, t0Max] and harmonic filtering of res2[R..R+40). */
  private pitchPostFilter(t0Min: number, t0Max: number, R: number): void {
    const scal = this.scalRes2;
    const sig = this.res2;
    const out = this.res2Pst;
    let corMax = MIN_32;
    let t0 = t0Min;
    const corr = this.corr;
    // With 80 * max|scal|^2 < 2^31 over the samples read, no partial sum can saturate: the 7
    // correlations are formed exactly in one pass (sliding window of delayed samples).
    // A bound of the largest |sample| read (scal[R - t0Max .. R + 40)): those of the subframes it spans.
    let ener0: number;
    const from = R - t0Max;
    const mags = this.scalMag;
    let big = mags[0]!;
    for (let k = 1, start = R - L_SUBFR; k < 5 && from < start + L_SUBFR; k++, start -= L_SUBFR) {
      if (mags[k]! > big) big = mags[k]!;
    }
    const exact = big <= 5180 && t0Max - t0Min === 6;
    if (exact && this.arena) {
      const sums = this.lagSums;
      this.arena.exports.lagCorrelations(scal.byteOffset, R, t0Min, 7, sums.byteOffset);
      for (let j = 0; j < 7; j++) corr[j] = sums[j]! * 2;
      ener0 = 1 + sums[7]! * 2;
    } else if (exact) {
      const d = R - t0Min;
      let w1 = scal[d - 1]!, w2 = scal[d - 2]!, w3 = scal[d - 3]!, w4 = scal[d - 4]!, w5 = scal[d - 5]!, w6 = scal[d - 6]!;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, e = 0;
      for (let n = 0; n < L_SUBFR; n++) {
        const v = scal[R + n]!;
        const w0 = scal[d + n]!;
        e = (e + Math.imul(v, v)) | 0;
        s0 = (s0 + Math.imul(v, w0)) | 0;
        s1 = (s1 + Math.imul(v, w1)) | 0;
        s2 = (s2 + Math.imul(v, w2)) | 0;
        s3 = (s3 + Math.imul(v, w3)) | 0;
        s4 = (s4 + Math.imul(v, w4)) | 0;
        s5 = (s5 + Math.imul(v, w5)) | 0;
        s6 = (s6 + Math.imul(v, w6)) | 0;
        w6 = w5; w5 = w4; w4 = w3; w3 = w2; w2 = w1; w1 = w0;
      }
      corr[0] = s0 * 2; corr[1] = s1 * 2; corr[2] = s2 * 2; corr[3] = s3 * 2;
      corr[4] = s4 * 2; corr[5] = s5 * 2; corr[6] = s6 * 2;
      // energy(1, scal, R, 40): 1 + 2 e < 2^31 here, nothing saturates.
      ener0 = 1 + e * 2;
    } else {
      for (let i = t0Min; i <= t0Max; i++) corr[i - t0Min] = dotProduct(0, scal, R, scal, R - i, L_SUBFR);
      ener0 = energy(1, scal, R, L_SUBFR);
    }
    for (let i = t0Min; i <= t0Max; i++) {
      const c = corr[i - t0Min]!;
      if (L_sub(c, corMax) > 0) {
        corMax = c;
        t0 = i;
      }
    }
    const ener = energy(1, scal, R - t0, L_SUBFR);
    if (corMax < 0) corMax = 0;
    let temp = corMax;
    if (ener > temp) temp = ener;
    if (ener0 > temp) temp = ener0;
    const j = norm_l(temp);
    let cmax = round(L_shl(corMax, j));
    let en = round(L_shl(ener, j));
    const en0 = round(L_shl(ener0, j));
    temp = L_mult(cmax, cmax);
    temp = L_sub(temp, L_shr(L_mult(en, en0), 1));
    if (temp < 0) {
      for (let i = 0; i < L_SUBFR; i++) out[i] = sig[R + i]!;
      return;
    }
    let g0: number;
    let gain: number;
    if (sub(cmax, en) > 0) {
      g0 = INV_GAMMAP;
      gain = GAMMAP_2;
    } else {
      cmax = shr(mult(cmax, GAMMAP), 1);
      en = shr(en, 1);
      const s = add(cmax, en);
      if (s > 0) {
        gain = div_s(cmax, s);
        g0 = sub(32767, gain);
      } else {
        g0 = 32767;
        gain = 0;
      }
    }
    // Both gains are in [0, 32767]: mult() cannot saturate, add() can.
    for (let i = 0; i < L_SUBFR; i++) {
      const v = (Math.imul(g0, sig[R + i]!) >> 15) + (Math.imul(gain, sig[R + i - t0]!) >> 15);
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }

  /** preemphasis: res2Pst filtered by 1 - g z^-1 (backwards, in place). */
  private preemphasis(g: number): void {
    const s = this.res2Pst;
    const temp = s[L_SUBFR - 1]!;
    // g >= 0: mult() cannot saturate, sub() can.
    for (let i = L_SUBFR - 1; i > 0; i--) {
      const v = s[i]! - (Math.imul(g, s[i - 1]!) >> 15);
      s[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    s[0] = sub(s[0]!, mult(g, this.memPre));
    this.memPre = temp;
  }

  /** agc: scale synPst[off..+40) toward the energy of the unfiltered synthesis. */
  private agc(sigIn: Int16Array, inOff: number, off: number): void {
    const out = this.synPst;
    let s = energyShr2(out, off);
    if (s === 0) {
      this.pastGain = 0;
      return;
    }
    let exp = sub(norm_l(s), 1);
    const gainOut = round(L_shl(s, exp));
    s = energyShr2(sigIn, inOff);
    let g0: number;
    if (s === 0) g0 = 0;
    else {
      const n = norm_l(s);
      const gainIn = round(L_shl(s, n));
      exp = sub(exp, n);
      s = div_s(gainOut, gainIn);
      s = L_shl(s, 7);
      s = L_shr(s, exp);
      s = invSqrt(s);
      const r = round(L_shl(s, 9));
      g0 = mult(r, AGC_FAC1);
    }
    let gain = this.pastGain;
    for (let i = 0; i < L_SUBFR; i++) {
      // mult(gain, AGC_FAC) cannot saturate (AGC_FAC < 2^15); add() can.
      gain = (Math.imul(gain, AGC_FAC) >> 15) + g0;
      if (gain > 32767) gain = 32767;
      else if (gain < -32768) gain = -32768;
      // extract_h(L_shl(L_mult(out, gain), 3)) = (16 p) >> 16 = p >> 12, saturated when 16 p leaves the 32-bit range.
      const p = Math.imul(out[off + i]!, gain);
      out[off + i] = p < 0x8000000 ? (p >= -0x8000000 ? p >> 12 : -32768) : 32767;
    }
    this.pastGain = gain;
  }
}

/**
 * energy(0, x >> 2) over one subframe: the sum of (x[i] >> 2)^2, doubled and saturated. The
 * terms are non-negative and each below 2^27 (doubled), so the running sum only grows and one
 * clamp at the end equals saturating every step; two int32 half sums stay below 2^31.
 */
function energyShr2(x: Int16Array, off: number): number {
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < L_SUBFR; i += 2) {
    const v = x[off + i]! >> 2;
    const w = x[off + i + 1]! >> 2;
    s0 = (s0 + Math.imul(v, v)) | 0;
    s1 = (s1 + Math.imul(w, w)) | 0;
  }
  const s = (s0 + s1) * 2;
  return s > MAX_32 ? MAX_32 : s;
}
