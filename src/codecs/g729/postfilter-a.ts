/**
 * Reduced-complexity postfilter of G.729 Annex A: integer-delay harmonic postfilter
 * searched around the decoded lag, short-term postfilter, first-order tilt
 * compensation and gain control. One call per frame; output replaces the synthesis.
 */
import {
  L_mac, L_mult, L_shl, L_shr, L_sub, MIN_32, add, div_s, extract_h, invSqrt, mult, norm_l, round, shr, sub,
} from './basicops.js';
import { L_FRAME, L_SUBFR, M, MP1, PIT_MAX, dotProduct, residu, synFilt, weightAz } from './dsp.js';

const GAMMA2_PST = 18022;
const GAMMA1_PST = 22938;
const MU = 26214;
const AGC_FAC = 29491;
const AGC_FAC1 = 32767 - AGC_FAC;
const GAMMAP = 16384;
const INV_GAMMAP = 21845;
const GAMMAP_2 = 10923;
const L_H = 22;
/** The impulse response starts from rest. */
const ZERO_MEM = new Int16Array(M);

export class G729APostFilter {
  /** res2 with PIT_MAX samples of history. */
  private readonly res2 = new Int16Array(PIT_MAX + L_SUBFR);
  private readonly scalRes2 = new Int16Array(PIT_MAX + L_SUBFR);
  private readonly memSynPst = new Int16Array(M);
  private memPre = 0;
  private pastGain = 4096;

  private readonly ap3 = new Int16Array(MP1);
  private readonly ap4 = new Int16Array(MP1);
  private readonly h = new Int16Array(L_H);
  private readonly res2Pst = new Int16Array(L_SUBFR);
  private readonly synPst = new Int16Array(L_FRAME);
  private readonly agcBuf = new Int16Array(L_SUBFR);

  reset(): void {
    this.res2.fill(0);
    this.scalRes2.fill(0);
    this.memSynPst.fill(0);
    this.memPre = 0;
    this.pastGain = 4096;
  }

  /**
   * Post_Filter: syn[synOff..+80) is the synthesis with M samples of history before it;
   * it is replaced by the postfiltered frame and the history updated. t holds the two
   * subframe pitch lags. active = false (noise frame) bypasses the harmonic stage.
   */
  run(syn: Int16Array, synOff: number, az: Int16Array, t: Int32Array, active: boolean): void {
    const res2 = this.res2;
    const scal = this.scalRes2;
    const R = PIT_MAX;
    for (let sf = 0, k = 0; sf < L_FRAME; sf += L_SUBFR, k++) {
      let t0Min = sub(t[k]!, 3);
      let t0Max = add(t0Min, 6);
      if (t0Max > PIT_MAX) {
        t0Max = PIT_MAX;
        t0Min = sub(t0Max, 6);
      }
      weightAz(az, k * MP1, GAMMA2_PST, this.ap3);
      weightAz(az, k * MP1, GAMMA1_PST, this.ap4);
      residu(this.ap3, 0, syn, synOff + sf, res2, R, L_SUBFR);
      for (let j = 0; j < L_SUBFR; j++) scal[R + j] = shr(res2[R + j]!, 2);
      if (active) this.pitchPostFilter(t0Min, t0Max);
      else for (let j = 0; j < L_SUBFR; j++) this.res2Pst[j] = res2[R + j]!;

      // Tilt from the first two autocorrelations of the A(z/g2)/A(z/g1) impulse response.
      const h = this.h;
      h.set(this.ap3);
      h.fill(0, MP1);
      synFilt(this.ap4, 0, h, 0, h, 0, L_H, ZERO_MEM, false);
      let L = L_mult(h[0]!, h[0]!);
      for (let i = 1; i < L_H; i++) L = L_mac(L, h[i]!, h[i]!);
      const temp1 = L >> 16;
      L = L_mult(h[0]!, h[1]!);
      for (let i = 1; i < L_H - 1; i++) L = L_mac(L, h[i]!, h[i + 1]!);
      let temp2 = L >> 16;
      if (temp2 <= 0) temp2 = 0;
      else {
        temp2 = mult(temp2, MU);
        temp2 = div_s(temp2, temp1);
      }
      this.preemphasis(temp2);
      synFilt(this.ap4, 0, this.res2Pst, 0, this.synPst, sf, L_SUBFR, this.memSynPst, true);
      this.agc(syn, synOff + sf, sf);
      res2.copyWithin(0, L_SUBFR, L_SUBFR + PIT_MAX);
      scal.copyWithin(0, L_SUBFR, L_SUBFR + PIT_MAX);
    }
    syn.copyWithin(synOff - M, synOff + L_FRAME - M, synOff + L_FRAME);
    syn.set(this.synPst, synOff);
  }

  /** pit_pst_filt: best integer delay in [t0Min, t0Max] and harmonic filtering of res2. */
  private pitchPostFilter(t0Min: number, t0Max: number): void {
    const R = PIT_MAX;
    const scal = this.scalRes2;
    const sig = this.res2;
    const out = this.res2Pst;
    let corMax = MIN_32;
    let t0 = t0Min;
    for (let i = t0Min; i <= t0Max; i++) {
      const corr = dotProduct(0, scal, R, scal, R - i, L_SUBFR);
      if (L_sub(corr, corMax) > 0) {
        corMax = corr;
        t0 = i;
      }
    }
    const ener = dotProduct(1, scal, R - t0, scal, R - t0, L_SUBFR);
    const ener0 = dotProduct(1, scal, R, scal, R, L_SUBFR);
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
    for (let i = 0; i < L_SUBFR; i++) out[i] = add(mult(g0, sig[R + i]!), mult(gain, sig[R + i - t0]!));
  }

  /** preemphasis: res2Pst filtered by 1 - g z^-1 (backwards, in place). */
  private preemphasis(g: number): void {
    const s = this.res2Pst;
    const temp = s[L_SUBFR - 1]!;
    for (let i = L_SUBFR - 1; i > 0; i--) s[i] = sub(s[i]!, mult(g, s[i - 1]!));
    s[0] = sub(s[0]!, mult(g, this.memPre));
    this.memPre = temp;
  }

  /** agc: scale synPst[off..+40) toward the energy of the unfiltered synthesis. */
  private agc(sigIn: Int16Array, inOff: number, off: number): void {
    const out = this.synPst;
    const buf = this.agcBuf;
    for (let i = 0; i < L_SUBFR; i++) buf[i] = shr(out[off + i]!, 2);
    let s = dotProduct(0, buf, 0, buf, 0, L_SUBFR);
    if (s === 0) {
      this.pastGain = 0;
      return;
    }
    let exp = sub(norm_l(s), 1);
    const gainOut = round(L_shl(s, exp));
    for (let i = 0; i < L_SUBFR; i++) buf[i] = shr(sigIn[inOff + i]!, 2);
    s = dotProduct(0, buf, 0, buf, 0, L_SUBFR);
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
      gain = mult(gain, AGC_FAC);
      gain = add(gain, g0);
      out[off + i] = extract_h(L_shl(L_mult(out[off + i]!, gain), 3));
    }
    this.pastGain = gain;
  }
}
