/**
 * Adaptive postfilter of the full G.729 decoder (Recommendation §4.2): long-term
 * (harmonic) postfilter with 1/8-resolution delay search, short-term postfilter
 * A(z/γ2)/A(z/γ1), tilt compensation and adaptive gain control. One call per subframe.
 */
import {
  L_Comp, L_abs, L_add, L_mac, L_mult, L_shl, L_shr, L_sub, Mpy_32_16, abs_s, add, div_s, mult_r, negate,
  norm_l, norm_s, shl, shr, sub,
} from './basicops.js';
import { L_SUBFR, M, MP1, PIT_MAX, dotProduct, residu, synFilt, weightAz } from './dsp.js';
import { tabHupL, tabHupS } from './tables.js';

const GAMMA1_PST = 22938;
const GAMMA2_PST = 18022;
const LONG_H_ST = 20;
const GAMMA3_PLUS = 6554;
const GAMMA3_MINUS = 29491;
const F_UP_PST = 8;
const LH2_S = 4;
const LH2_L = 16;
const MIN_GPLT = 21845;
const LH_UP_S = LH2_S / 2;
const LH_UP_L = LH2_L / 2;
const AGC_FAC = 32358;
const AGC_FAC1 = 32768 - AGC_FAC;
const MEM_RES2 = PIT_MAX + 1 + LH_UP_L;
const SIZ_RES2 = MEM_RES2 + L_SUBFR;
const L_SUBFRP1 = L_SUBFR + 1;
const SIZ_Y_UP = (F_UP_PST - 1) * L_SUBFRP1;

/** Outcome of the delay search (search_del / compute_ltp_l). */
interface LtpSearch {
  ltpdel: number;
  phase: number;
  num: number;
  den: number;
  shNum: number;
  shDen: number;
  offYup: number;
}

export class G729PostFilter {
  private readonly apond1 = new Int16Array(MP1);
  /** Numerator coefficients padded with zeros: also the input of the impulse response. */
  private readonly apond2 = new Int16Array(LONG_H_ST);
  private readonly memStp = new Int16Array(M);
  private readonly memZero = new Int16Array(M);
  private readonly res2 = new Int16Array(SIZ_RES2);
  private gainPrec = 16384;

  private readonly sigLtp = new Int16Array(L_SUBFRP1);
  private readonly sigCadr = new Int16Array(SIZ_RES2);
  private readonly yUp = new Int16Array(SIZ_Y_UP);
  private readonly h = new Int16Array(LONG_H_ST);
  private readonly Lden0 = new Float64Array(F_UP_PST - 1);
  private readonly Lden1 = new Float64Array(F_UP_PST - 1);
  private readonly search: LtpSearch = { ltpdel: 0, phase: 0, num: 0, den: 1, shNum: 0, shDen: 0, offYup: 0 };
  private readonly search2: LtpSearch = { ltpdel: 0, phase: 0, num: 0, den: 1, shNum: 0, shDen: 0, offYup: 0 };

  reset(): void {
    this.res2.fill(0);
    this.memStp.fill(0);
    this.apond2.fill(0);
    this.memZero.fill(0);
    this.gainPrec = 16384;
  }

  /**
   * Post-filter one subframe of synthesis sig[sigOff..+40) (needs M past samples) with
   * LP filter az[azOff..]; writes out[outOff..+40). Returns the voicing decision (the
   * long-term delay, 0 = unvoiced), or -1 when the harmonic stage is skipped (noise frame).
   */
  run(t0: number, sig: Int16Array, sigOff: number, az: Int16Array, azOff: number, out: Int16Array, outOff: number, active: boolean): number {
    weightAz(az, azOff, GAMMA1_PST, this.apond1);
    weightAz(az, azOff, GAMMA2_PST, this.apond2);
    residu(this.apond2, 0, sig, sigOff, this.res2, MEM_RES2, L_SUBFR);
    let vo = -1;
    if (active) vo = this.longTerm(t0);
    else for (let i = 0; i < L_SUBFR; i++) this.sigLtp[1 + i] = this.res2[MEM_RES2 + i]!;
    this.sigLtp[0] = this.memStp[M - 1]!;
    const parcor0 = this.shortTermGain();
    synFilt(this.apond1, 0, this.sigLtp, 1, this.sigLtp, 1, L_SUBFR, this.memStp, true);
    this.tilt(parcor0, out, outOff);
    this.scale(sig, sigOff, out, outOff);
    this.res2.copyWithin(0, L_SUBFR, L_SUBFR + MEM_RES2);
    return vo;
  }

  /** pst_ltp: harmonic postfilter of res2 into sigLtp[1..]. Returns the voicing decision. */
  private longTerm(t0: number): number {
    const res2 = this.res2;
    const sigCadr = this.sigCadr;
    const out = this.sigLtp;
    let temp = 0;
    for (let i = 0; i < SIZ_RES2; i++) {
      const v = res2[i]!;
      temp |= v >= 0 ? v : v === -32768 ? 32767 : -v;
    }
    // Normalize to 12 bits; a left shift here never saturates.
    const nbShSig = sub(3, norm_s(temp));
    if (nbShSig >= 0) for (let i = 0; i < SIZ_RES2; i++) sigCadr[i] = res2[i]! >> nbShSig;
    else for (let i = 0; i < SIZ_RES2; i++) sigCadr[i] = res2[i]! << -nbShSig;

    const s = this.search;
    this.searchDelay(t0, s);
    const vo = s.ltpdel;
    if (s.num === 0) {
      for (let i = 0; i < L_SUBFR; i++) out[1 + i] = res2[MEM_RES2 + i]!;
      return vo;
    }
    // The delayed signal: res2 itself (integer delay), yUp, or the long-filter output in out.
    let yArr: Int16Array;
    let yOff: number;
    let num = s.num;
    let den = s.den;
    let shNum = s.shNum;
    let shDen = s.shDen;
    if (s.phase === 0) {
      yArr = res2;
      yOff = MEM_RES2 - s.ltpdel;
    } else {
      const s2 = this.search2;
      this.computeLtpLong(s.ltpdel, s.phase, s2);
      if (selectLtp(num, den, shNum, shDen, s2.num, s2.den, s2.shNum, s2.shDen) === 1) {
        yArr = this.yUp;
        yOff = (((sub(s.phase, 1) * L_SUBFRP1 * 2) >> 1) << 16 >> 16) + s.offYup;
      } else {
        num = s2.num;
        den = s2.den;
        shNum = s2.shNum;
        shDen = s2.shDen;
        yArr = out;
        yOff = 1;
      }
      for (let i = 0; i < L_SUBFR; i++) yArr[yOff + i] = shl(yArr[yOff + i]!, nbShSig);
    }
    temp = sub(shNum, shDen);
    if (temp >= 0) den = shr(den, temp);
    else num = shl(num, temp);
    let gainPlt: number;
    if (sub(num, den) >= 0) gainPlt = MIN_GPLT;
    else {
      num = shr(num, 2);
      den = shr(den, 1);
      gainPlt = div_s(den, add(den, num));
    }
    // filt_plt: out = g * x + (1 - g) * delayed.
    const g1 = add(sub(32767, gainPlt), 1);
    // Both gains are in [0, 32767]: no product saturates, only the sums can.
    for (let n = 0; n < L_SUBFR; n++) {
      const L = sat32(gainPlt * res2[MEM_RES2 + n]! * 2 + g1 * yArr[yOff + n]! * 2);
      out[1 + n] = sat32(L + 0x8000) >> 16;
    }
    return vo;
  }

  /** search_del: best integer delay near t0, then fractional (1/8) refinement with the short filter. */
  private searchDelay(t0: number, r: LtpSearch): void {
    const x = this.sigCadr;
    const xo = MEM_RES2;
    const yUp = this.yUp;
    r.num = 0;
    r.den = 1;
    r.ltpdel = 0;
    r.phase = 0;

    let acc = dot2(x, xo, x, xo, L_SUBFR);
    if (acc === 0) return;
    let shEner = sub(16, norm_l(acc));
    let ener: number;
    if (shEner > 0) ener = (L_shr(acc, shEner) << 16) >> 16;
    else {
      shEner = 0;
      ener = (acc << 16) >> 16;
    }

    let lambda = sub(t0, 1);
    let past = xo - lambda;
    let LnumInt = -1;
    let iMax = 0;
    for (let i = 0; i < 3; i++) {
      acc = dot2(x, xo, x, past, L_SUBFR);
      if (acc < 0) acc = 0;
      if (L_sub(acc, LnumInt) > 0) {
        LnumInt = acc;
        iMax = i;
      }
      past--;
    }
    if (LnumInt === 0) return;
    lambda = add(lambda, iMax);
    past = xo - lambda;
    acc = dot2(x, past, x, past, L_SUBFR);
    if (acc === 0) return;
    const LdenInt = acc;

    // Fractional delays with the short interpolation filter.
    let LdenMax = LdenInt;
    const past0 = xo - sub(lambda, LH_UP_S - 1);
    for (let phi = 1; phi < F_UP_PST; phi++) {
      const yo = (phi - 1) * L_SUBFRP1;
      const ho = (phi - 1) * LH2_S;
      // 4-tap interpolation: input is scaled to 12 bits and taps are small, so no saturation.
      const h0 = tabHupS[ho]! * 2;
      const h1 = tabHupS[ho + 1]! * 2;
      const h2 = tabHupS[ho + 2]! * 2;
      const h3 = tabHupS[ho + 3]! * 2;
      for (let n = 0; n <= L_SUBFR; n++) {
        const p1 = past0 + n;
        acc = h0 * x[p1]! + h1 * x[p1 - 1]! + h2 * x[p1 - 2]! + h3 * x[p1 - 3]!;
        yUp[yo + n] = (acc + 0x8000) >> 16;
      }
      acc = dot2(yUp, yo + 1, yUp, yo + 1, L_SUBFR - 1);
      const Ltemp0 = acc;
      const d0 = L_mac(acc, yUp[yo]!, yUp[yo]!);
      this.Lden0[phi - 1] = d0;
      const d1 = L_mac(Ltemp0, yUp[yo + L_SUBFR]!, yUp[yo + L_SUBFR]!);
      this.Lden1[phi - 1] = d1;
      if (sub(abs_s(yUp[yo]!), abs_s(yUp[yo + L_SUBFR]!)) > 0) {
        if (L_sub(d0, LdenMax) > 0) LdenMax = d0;
      } else if (L_sub(d1, LdenMax) > 0) LdenMax = d1;
    }
    if (LdenMax === 0) return;
    const shDen = sub(16, norm_l(LdenMax));
    if (shDen <= 0) return;
    const shNum = sub(shDen, shEner) >= 0 ? shDen : shEner;

    let denMax = (L_shr(LdenInt, shDen) << 16) >> 16;
    let numMax = (L_shr(LnumInt, shNum) << 16) >> 16;
    acc = L_mult(numMax, numMax);
    let hiMax = acc >> 16;
    let loMax = (acc >> 1) - hiMax * 32768;
    let phiMax = 0;
    let ioff = 1;
    for (let phi = 1; phi < F_UP_PST; phi++) {
      let yo = (phi - 1) * L_SUBFRP1;
      for (let half = 0; half < 2; half++) {
        acc = dot2(x, xo, yUp, yo, L_SUBFR);
        acc = L_shr(acc, shNum);
        const num = acc < 0 ? 0 : (acc << 16) >> 16;
        acc = L_mult(num, num);
        const hi = acc >> 16;
        const lo = (acc >> 1) - hi * 32768;
        const Ltemp0 = Mpy_32_16(hi, lo, denMax);
        const Lden = half === 0 ? this.Lden0[phi - 1]! : this.Lden1[phi - 1]!;
        const den = (L_shr(Lden, shDen) << 16) >> 16;
        const Ltemp1 = Mpy_32_16(hiMax, loMax, den);
        if (L_sub(Ltemp0, Ltemp1) > 0) {
          numMax = num;
          hiMax = hi;
          loMax = lo;
          denMax = den;
          ioff = half === 0 ? 0 : 1;
          phiMax = phi;
        }
        yo++;
      }
    }
    if (numMax === 0 || sub(denMax, 1) <= 0) return;

    // Keep the delay only if num^2 >= 0.5 * ener * den (normalized criterion).
    let Ltemp1 = L_mult(denMax, ener);
    let Ltemp0 = L_Comp(hiMax, loMax);
    let temp = shl(shNum, 1);
    temp = sub(temp, shDen);
    temp = sub(temp, shEner);
    temp = add(temp, 1);
    if (temp < 0) Ltemp0 = L_shr(Ltemp0, negate(temp));
    else if (temp > 0) Ltemp1 = L_shr(Ltemp1, temp);
    if (L_sub(Ltemp0, Ltemp1) >= 0) {
      r.ltpdel = sub(add(lambda, 1), ioff);
      r.offYup = ioff;
      r.phase = phiMax;
      r.num = numMax;
      r.den = denMax;
      r.shDen = shDen;
      r.shNum = shNum;
    }
  }

  /** compute_ltp_l: delayed signal with the long interpolation filter (into sigLtp[1..]) and its gain terms. */
  private computeLtpLong(ltpdel: number, phase: number, r: LtpSearch): void {
    const x = this.sigCadr;
    const xo = MEM_RES2;
    const y = this.sigLtp;
    const ho = shl(sub(phase, 1), 4);
    let p2 = xo + sub(LH_UP_L, ltpdel);
    for (let n = 0; n < L_SUBFR; n++) {
      // 16 taps on 12-bit input: the sum stays far from saturation.
      let acc = 0;
      for (let i = 0; i < LH2_L; i++) acc += tabHupL[ho + i]! * x[p2--]!;
      y[1 + n] = (acc * 2 + 0x8000) >> 16;
      p2 += LH2_L + 1;
    }
    let acc = dotProduct(0, y, 1, x, xo, L_SUBFR);
    if (acc < 0) {
      r.num = 0;
      r.shNum = 0;
    } else {
      let temp = sub(16, norm_l(acc));
      if (temp < 0) temp = 0;
      r.num = (L_shr(acc, temp) << 16) >> 16;
      r.shNum = temp;
    }
    acc = dotProduct(0, y, 1, y, 1, L_SUBFR);
    let temp = sub(16, norm_l(acc));
    if (temp < 0) temp = 0;
    r.den = (L_shr(acc, temp) << 16) >> 16;
    r.shDen = temp;
  }

  /**
   * calc_st_filt: impulse response of A(z/γ2)/A(z/γ1), its first parcor (returned) and
   * the gain normalization of the short-term filter input.
   */
  private shortTermGain(): number {
    const h = this.h;
    synFilt(this.apond1, 0, this.apond2, 0, h, 0, LONG_H_ST, this.memZero, false);
    // calc_rc0_h
    let acc = dotProduct(0, h, 0, h, 0, LONG_H_ST);
    const shAcf = norm_l(acc);
    acc = L_shl(acc, shAcf);
    const acf0 = acc >> 16;
    acc = dotProduct(0, h, 0, h, 1, LONG_H_ST - 1);
    acc = L_shl(acc, shAcf);
    const acf1 = acc >> 16;
    let rc0: number;
    if (sub(acf0, abs_s(acf1)) < 0) rc0 = 0;
    else {
      rc0 = div_s(abs_s(acf1), acf0);
      if (acf1 > 0) rc0 = negate(rc0);
    }
    let Lg0 = 0;
    for (let i = 0; i < LONG_H_ST; i++) Lg0 = L_add(Lg0, abs_s(h[i]!));
    const g0 = L_shl(Lg0, 14) >> 16;
    if (sub(g0, 1024) > 0) {
      const temp = div_s(1024, g0);
      const s = this.sigLtp;
      for (let i = 1; i <= L_SUBFR; i++) s[i] = mult_r(s[i]!, temp);
    }
    return rc0;
  }

  /** filt_mu: tilt compensation (1 + mu z^-1) / (1 - |mu|) of sigLtp (starting at sample -1). */
  private tilt(parcor0: number, out: Int16Array, outOff: number): void {
    let mu: number;
    let shFact1: number;
    let fact: number;
    let Lfact: number;
    if (parcor0 > 0) {
      mu = mult_r(parcor0, GAMMA3_PLUS);
      shFact1 = 15;
      fact = 0x4000;
      Lfact = 0x4000;
    } else {
      mu = mult_r(parcor0, GAMMA3_MINUS);
      shFact1 = 12;
      fact = 0x0800;
      Lfact = 0x0800;
    }
    const mu2 = add(32767, sub(1, abs_s(mu)));
    const ga = div_s(fact, mu2);
    mu = shr(mu, 1);
    const s = this.sigLtp;
    // |mu| <= 2^14 and 0 <= ga < 2^15 here, so no product saturates; sums are clamped.
    for (let n = 0; n < L_SUBFR; n++) {
      let L = sat32(s[n + 1]! * 32768 + mu * s[n]! * 2);
      L = sat32(L + 0x4000);
      const temp = ((L >> 15) << 16) >> 16;
      L = sat32(temp * ga * 2 + Lfact) >> shFact1;
      out[outOff + n] = L > 32767 ? 32767 : L < -32768 ? -32768 : L;
    }
  }

  /** scale_st: adaptive gain control toward the input subframe's level. */
  private scale(sigIn: Int16Array, inOff: number, out: Int16Array, outOff: number): void {
    let acc = 0;
    for (let i = 0; i < L_SUBFR; i++) acc = L_add(acc, L_abs(sigIn[inOff + i]!));
    let g0: number;
    if (acc === 0) g0 = 0;
    else {
      const scalIn = norm_l(acc);
      acc = L_shl(acc, scalIn);
      const sgIn = acc >> 16;
      acc = 0;
      for (let i = 0; i < L_SUBFR; i++) acc = L_add(acc, L_abs(out[outOff + i]!));
      if (acc === 0) {
        this.gainPrec = 0;
        return;
      }
      const scalOut = norm_l(acc);
      acc = L_shl(acc, scalOut);
      const sgOut = acc >> 16;
      let shG0 = sub(add(scalIn, 1), scalOut);
      if (sub(sgIn, sgOut) < 0) g0 = div_s(sgIn, sgOut);
      else {
        const temp = sub(sgIn, sgOut);
        g0 = shr(div_s(temp, sgOut), 1);
        g0 = add(g0, 0x4000);
        shG0 = sub(shG0, 1);
      }
      g0 = shr(g0, shG0);
      g0 = mult_r(g0, AGC_FAC1);
    }
    let gain = this.gainPrec;
    for (let i = 0; i < L_SUBFR; i++) {
      // mult_r(AGC_FAC, gain) cannot saturate (AGC_FAC < 2^15); add() can.
      gain = ((AGC_FAC * gain + 0x4000) >> 15) + g0;
      if (gain > 32767) gain = 32767;
      else if (gain < -32768) gain = -32768;
      let p = gain * out[outOff + i]! * 2;
      if (p === 2147483648) p = 2147483647;
      out[outOff + i] = sat32(sat32(p * 2) + 0x8000) >> 16;
    }
    this.gainPrec = gain;
  }
}

function sat32(v: number): number {
  return v > 2147483647 ? 2147483647 : v < -2147483648 ? -2147483648 : v;
}

/**
 * 2 * sum x[i] y[i] without saturation checks, for the delay search: its inputs are
 * normalized to |v| <= 4096 (and their 4-tap interpolations to < 4900), so every partial
 * sum stays below 2^30 and L_mac could never saturate.
 */
function dot2(x: Int16Array, xo: number, y: Int16Array, yo: number, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += Math.imul(x[xo + i]!, y[yo + i]!);
  return acc * 2;
}

/** select_ltp: 1 if num1^2/den1 >= num2^2/den2 (with their scalings), else 2. */
function selectLtp(num1: number, den1: number, shNum1: number, shDen1: number, num2: number, den2: number, shNum2: number, shDen2: number): number {
  if (den2 === 0) return 1;
  let L1 = L_mult(num1, num1);
  let hi = L1 >> 16;
  let lo = (L1 >> 1) - hi * 32768;
  L1 = Mpy_32_16(hi, lo, den2);
  let L2 = L_mult(num2, num2);
  hi = L2 >> 16;
  lo = (L2 >> 1) - hi * 32768;
  L2 = Mpy_32_16(hi, lo, den1);
  let t1 = add(shl(shNum1, 1), shDen2);
  let t2 = add(shl(shNum2, 1), shDen1);
  if (sub(t2, t1) > 0) {
    t2 = sub(t2, t1);
    L1 = L_shr(L1, t2);
  } else if (sub(t1, t2) > 0) {
    t1 = sub(t1, t2);
    L2 = L_shr(L2, t1);
  }
  return L_sub(L2, L1) > 0 ? 2 : 1;
}
