/**
 * Adaptive postfilter of the full G.729 decoder (Recommendation §4.2): long-term
 * (harmonic) postfilter with 1/8-resolution delay search, short-term postfilter
 * A(z/γ2)/A(z/γ1), tilt compensation and adaptive gain control. One call per subframe.
 */
import {
  L_Comp, L_mult, L_shl, L_shr, L_sub, Mpy_32_16, abs_s, div_s, mult_r, negate,
  add as add16, norm_l, norm_s, shl, shr, sub as sub16,
} from './basicops.js';
import { dotProduct, gammaPowers, residu, SynthesisFilter, weightAzPow } from './dsp.js';
import { int16In, int32In } from './kernels.js';
import type { KernelArena } from './kernels.js';
import { tabHupL, tabHupS } from './tables.js';

// Local copies of the codec constants: imported (and exported) module bindings are read through
// cells with a hole check each time, even inside hot loops; local constants are folded.
const L_SUBFR = 40;
const M = 10;
const MP1 = 11;
const PIT_MAX = 143;
const GAMMA1_PST = 22938;
const GAMMA2_PST = 18022;
/** gamma^i factors of the two weighted filters. */
const POW1 = gammaPowers(GAMMA1_PST);
const POW2 = gammaPowers(GAMMA2_PST);
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
/**
 * res2 and sigCadr hold their SIZ_RES2-sample windows at a sliding base offset (a multiple of
 * L_SUBFR) in buffers RES2_SLOTS subframes longer: each subframe advances the base, and the
 * history is moved back to the start only when the window reaches the end.
 */
const RES2_SLOTS = 8;
const RES2_BUF = SIZ_RES2 + RES2_SLOTS * L_SUBFR;
const L_SUBFRP1 = L_SUBFR + 1;
const SIZ_Y_UP = (F_UP_PST - 1) * L_SUBFRP1;

// Saturating 16-bit add / sub, bound locally (no import-cell load per call).
const add = add16;
const sub = sub16;

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
  /** Overflow of the synthesis filter is its own state (see SynthesisFilter); not read here. */
  private readonly synthesis = new SynthesisFilter();
  private readonly apond1 = new Int16Array(MP1);
  /** Numerator coefficients padded with zeros: also the input of the impulse response. */
  private readonly apond2: Int16Array;
  private readonly memStp = new Int16Array(M);
  private readonly memZero = new Int16Array(M);
  private readonly res2: Int16Array;
  /** Start of the current window in res2 and sigCadr. */
  private base = 0;
  /** Magnitude bits (OR of abs_s) of res2 in each of the last 4 subframes, newest first. */
  private readonly subframeMag = new Int32Array(4);
  private gainPrec = 16384;

  /** The WebAssembly kernels' instance, whose memory holds the arrays they read and write; null: TypeScript loops. */
  private readonly arena: KernelArena | null;
  private readonly sigLtp: Int16Array;
  private readonly sigCadr: Int16Array;
  /** sigCadr[base + cadrFirst..base + SIZ_RES2) holds res2 scaled by cadrShift (SIZ_RES2: nothing valid). */
  private cadrFirst = SIZ_RES2;
  private cadrShift = 0;
  /**
   * The interpolated signals of the 7 fractional phases, 41 samples each: the search keeps only
   * each one's first and last sample; longTerm() forms the chosen one as it filters.
   */
  private readonly yUp: Int16Array;
  /** Start in sigCadr of the short-filter input window of the last search. */
  private past0 = 0;
  private readonly h = new Int16Array(LONG_H_ST);
  /** Energies of the interpolated signal without its last / first sample, per phase (below 2^31). */
  private readonly Lden0: Int32Array;
  private readonly Lden1: Int32Array;
  /** Correlations of x with the interpolated signal at both integer neighbours, per phase. */
  private readonly corr0: Int32Array;
  private readonly corr1: Int32Array;
  /** The kernels' results and working space (in the arena): the phase search's four rows, its scratch, the long filter's sums. */
  private readonly phaseRows: Int32Array;
  private readonly scratch: Int32Array;
  private readonly longOut: Int32Array;
  private readonly lagSums: Int32Array;
  private readonly search: LtpSearch = { ltpdel: 0, phase: 0, num: 0, den: 1, shNum: 0, shDen: 0, offYup: 0 };
  private readonly search2: LtpSearch = { ltpdel: 0, phase: 0, num: 0, den: 1, shNum: 0, shDen: 0, offYup: 0 };

  constructor(arena: KernelArena | null = null) {
    this.arena = arena;
    this.apond2 = int16In(arena, LONG_H_ST);
    this.res2 = int16In(arena, RES2_BUF);
    this.sigLtp = int16In(arena, L_SUBFRP1);
    this.sigCadr = int16In(arena, RES2_BUF);
    this.yUp = int16In(arena, SIZ_Y_UP);
    // corr0, corr1, Lden0, Lden1: the rows of one block, as phaseSearch writes them.
    const rows = int32In(arena, 4 * (F_UP_PST - 1));
    this.phaseRows = rows;
    this.corr0 = rows.subarray(0, 7);
    this.corr1 = rows.subarray(7, 14);
    this.Lden0 = rows.subarray(14, 21);
    this.Lden1 = rows.subarray(21, 28);
    this.scratch = int32In(arena, 48);
    this.longOut = int32In(arena, 3);
    this.lagSums = int32In(arena, 9);
  }

  reset(): void {
    this.res2.fill(0);
    this.base = 0;
    this.subframeMag.fill(0);
    this.cadrFirst = SIZ_RES2;
    this.cadrShift = 0;
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
    weightAzPow(az, azOff, POW1, this.apond1);
    weightAzPow(az, azOff, POW2, this.apond2);
    const base = this.base;
    // With the kernels, sig is in the arena too (the decoder's synthesis buffer).
    let mag = this.arena ? this.arena.exports.residu(this.apond2.byteOffset, sig.byteOffset + sigOff * 2, this.res2.byteOffset + (base + MEM_RES2) * 2, L_SUBFR) : -1;
    if (mag < 0) mag = residu(this.apond2, 0, sig, sigOff, this.res2, base + MEM_RES2, L_SUBFR);
    // Magnitude bits of this subframe's residual (as magnitudeBits forms them), kept for the
    // next 4 subframes' normalization.
    const mags = this.subframeMag;
    mags[3] = mags[2]!;
    mags[2] = mags[1]!;
    mags[1] = mags[0]!;
    mags[0] = mag > 32767 ? 32767 : mag;
    let vo = -1;
    if (active) vo = this.longTerm(t0);
    else {
      const out = this.sigLtp;
      const res2 = this.res2;
      for (let i = 0; i < L_SUBFR; i += 4) {
        const k = base + MEM_RES2 + i;
        out[1 + i] = res2[k]!;
        out[2 + i] = res2[k + 1]!;
        out[3 + i] = res2[k + 2]!;
        out[4 + i] = res2[k + 3]!;
      }
    }
    this.sigLtp[0] = this.memStp[M - 1]!;
    const parcor0 = this.shortTermGain();
    this.synthesis.run(this.apond1, 0, this.sigLtp, 1, this.sigLtp, 1, L_SUBFR, this.memStp, true);
    const outAbsSum = this.tilt(parcor0, out, outOff);
    this.scale(sig, sigOff, out, outOff, outAbsSum);
    // Slide the window by one subframe (moving the history back to the start at the end).
    const keepCadr = active && this.cadrFirst < SIZ_RES2;
    if (base + L_SUBFR + SIZ_RES2 <= RES2_BUF) this.base = base + L_SUBFR;
    else {
      this.res2.copyWithin(0, base + L_SUBFR, base + L_SUBFR + MEM_RES2);
      if (keepCadr) this.sigCadr.copyWithin(0, base + L_SUBFR, base + L_SUBFR + MEM_RES2);
      this.base = 0;
    }
    if (keepCadr) this.cadrFirst = this.cadrFirst > L_SUBFR ? this.cadrFirst - L_SUBFR : 0;
    else this.cadrFirst = SIZ_RES2;
    return vo;
  }

  /** pst_ltp: harmonic postfilter of res2 into sigLtp[1..]. Returns the voicing decision. */
  private longTerm(t0: number): number {
    const res2 = this.res2;
    const sigCadr = this.sigCadr;
    const out = this.sigLtp;
    // The standard ORs the magnitudes; only the highest set bit matters (norm_s). res2 holds the
    // last 4 subframes' residuals (whose magnitude bits are kept) after the oldest
    // SIZ_RES2 - 4 * L_SUBFR samples.
    const mags = this.subframeMag;
    const b = this.base;
    let temp = magnitudeBits(res2, b, b + SIZ_RES2 - 4 * L_SUBFR);
    for (let k = 0; k < 4; k++) if (mags[k]! > temp) temp = mags[k]!;
    // Normalize to 12 bits; a left shift here never saturates. The delay search reads no
    // further back than t0 + 9 samples before the subframe (long filter: lag t0 + 2, 16 taps).
    const nbShSig = sub(3, norm_s(temp));
    let need = MEM_RES2 - t0 - 16;
    if (need < 0) need = 0;
    // sigCadr keeps its scaled history (shifted along with res2) while the scaling is unchanged:
    // then only this subframe and any older samples not yet scaled need computing.
    if (nbShSig === this.cadrShift) {
      scaleInto(res2, sigCadr, b + MEM_RES2, b + SIZ_RES2, nbShSig);
      const validFrom = this.cadrFirst < MEM_RES2 ? this.cadrFirst : MEM_RES2;
      if (need < validFrom) scaleInto(res2, sigCadr, b + need, b + validFrom, nbShSig);
      else need = validFrom;
    } else {
      scaleInto(res2, sigCadr, b + need, b + SIZ_RES2, nbShSig);
      this.cadrShift = nbShSig;
    }
    this.cadrFirst = need;

    const s = this.search;
    this.searchDelay(t0, s);
    const vo = s.ltpdel;
    if (s.num === 0) {
      for (let i = 0; i < L_SUBFR; i += 4) {
        const k = b + MEM_RES2 + i;
        out[1 + i] = res2[k]!;
        out[2 + i] = res2[k + 1]!;
        out[3 + i] = res2[k + 2]!;
        out[4 + i] = res2[k + 3]!;
      }
      return vo;
    }
    // The delayed signal: res2 itself (integer delay), the short-filter interpolation (formed
    // here from sigCadr) or the long-filter output (in out), the last two scaled back by
    // shl(y, nbShSig) (saturating; a right shift when negative).
    let num = s.num;
    let den = s.den;
    let shNum = s.shNum;
    let shDen = s.shDen;
    // 0: integer delay, 1: short filter, 2: long filter.
    let source = 0;
    if (s.phase !== 0) {
      const s2 = this.search2;
      this.computeLtpLong(s.ltpdel, s.phase, s2);
      if (selectLtp(num, den, shNum, shDen, s2.num, s2.den, s2.shNum, s2.shDen) === 1) source = 1;
      else {
        source = 2;
        num = s2.num;
        den = s2.den;
        shNum = s2.shNum;
        shDen = s2.shDen;
      }
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
    // The gains are in [0, 32768] and sum to 32768: the weighted sum s is at most 2^30 in
    // magnitude, so neither L_mac nor the rounding saturates and round(2 s) = (s + 2^14) >> 15.
    if (source === 0) {
      const d = b + MEM_RES2 - s.ltpdel;
      const r = b + MEM_RES2;
      for (let n = 0; n < L_SUBFR; n += 2) {
        out[1 + n] = (Math.imul(gainPlt, res2[r + n]!) + Math.imul(g1, res2[d + n]!) + 0x4000) >> 15;
        out[2 + n] = (Math.imul(gainPlt, res2[r + n + 1]!) + Math.imul(g1, res2[d + n + 1]!) + 0x4000) >> 15;
      }
      return vo;
    }
    // nbShSig <= 3: a left shift of a 16-bit value stays in int32 before its saturation.
    const left = nbShSig >= 0 ? nbShSig : 0;
    const right = nbShSig >= 0 ? 0 : -nbShSig > 15 ? 15 : -nbShSig;
    if (source === 2) {
      const r = b + MEM_RES2;
      for (let n = 0; n < L_SUBFR; n += 2) {
        let y = (out[1 + n]! << left) >> right;
        y = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
        out[1 + n] = (Math.imul(gainPlt, res2[r + n]!) + Math.imul(g1, y) + 0x4000) >> 15;
        y = (out[2 + n]! << left) >> right;
        y = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
        out[2 + n] = (Math.imul(gainPlt, res2[r + n + 1]!) + Math.imul(g1, y) + 0x4000) >> 15;
      }
      return vo;
    }
    // The short filter's phase s.phase (as interpolatePhase forms it), offYup samples on.
    const x = sigCadr;
    const ho = (s.phase - 1) * LH2_S;
    const h0 = tabHupS[ho]! * 2;
    const h1 = tabHupS[ho + 1]! * 2;
    const h2 = tabHupS[ho + 2]! * 2;
    const h3 = tabHupS[ho + 3]! * 2;
    const p = this.past0 + s.offYup;
    let xm3 = x[p - 3]!, xm2 = x[p - 2]!, xm1 = x[p - 1]!;
    const r = b + MEM_RES2;
    for (let n = 0; n < L_SUBFR; n += 2) {
      const xc = x[p + n]!;
      const xd = x[p + n + 1]!;
      let y = (Math.imul(h0, xc) + Math.imul(h1, xm1) + Math.imul(h2, xm2) + Math.imul(h3, xm3) + 0x8000) >> 16;
      let z = (Math.imul(h0, xd) + Math.imul(h1, xc) + Math.imul(h2, xm1) + Math.imul(h3, xm2) + 0x8000) >> 16;
      xm3 = xm1;
      xm2 = xc;
      xm1 = xd;
      y = (y << left) >> right;
      y = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
      z = (z << left) >> right;
      z = z > 32767 ? 32767 : z < -32768 ? -32768 : z;
      out[1 + n] = (Math.imul(gainPlt, res2[r + n]!) + Math.imul(g1, y) + 0x4000) >> 15;
      out[2 + n] = (Math.imul(gainPlt, res2[r + n + 1]!) + Math.imul(g1, z) + 0x4000) >> 15;
    }
    return vo;
  }

  /** search_del: best integer delay near t0, then fractional (1/8) refinement with the short filter. */
  private searchDelay(t0: number, r: LtpSearch): void {
    const x = this.sigCadr;
    const xo = this.base + MEM_RES2;
    const yUp = this.yUp;
    r.num = 0;
    r.den = 1;
    r.ltpdel = 0;
    r.phase = 0;

    // One pass for the energy of x, its correlations with the 3 integer delays t0 - 1 .. t0 + 1
    // and the energy of the first delayed window (|x| <= 4096: all exact, below 2^30).
    const pd = xo - t0 + 1;
    let ex = 0;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let ed = 0;
    if (this.arena) {
      const sums = this.lagSums;
      this.arena.exports.lagCorrelations(x.byteOffset, xo, t0 - 1, 3, sums.byteOffset);
      c0 = sums[0]!;
      c1 = sums[1]!;
      c2 = sums[2]!;
      ex = sums[3]!;
      ed = sums[4]!;
    } else {
      let xm2 = x[pd - 2]!;
      let xm1 = x[pd - 1]!;
      // Two samples per pass.
      for (let n = 0; n < L_SUBFR; n += 2) {
        const xn = x[xo + n]!;
        const xd = x[pd + n]!;
        const xn1 = x[xo + n + 1]!;
        const xd1 = x[pd + n + 1]!;
        ex = (ex + Math.imul(xn, xn) + Math.imul(xn1, xn1)) | 0;
        c0 = (c0 + Math.imul(xn, xd) + Math.imul(xn1, xd1)) | 0;
        c1 = (c1 + Math.imul(xn, xm1) + Math.imul(xn1, xd)) | 0;
        c2 = (c2 + Math.imul(xn, xm2) + Math.imul(xn1, xm1)) | 0;
        ed = (ed + Math.imul(xd, xd) + Math.imul(xd1, xd1)) | 0;
        xm2 = xd;
        xm1 = xd1;
      }
    }
    let acc = ex * 2;
    if (acc === 0) return;
    let shEner = sub(16, norm_l(acc));
    let ener: number;
    if (shEner > 0) ener = (L_shr(acc, shEner) << 16) >> 16;
    else {
      shEner = 0;
      ener = (acc << 16) >> 16;
    }

    let lambda = sub(t0, 1);
    let LnumInt = -1;
    let iMax = 0;
    for (let i = 0; i < 3; i++) {
      acc = (i === 0 ? c0 : i === 1 ? c1 : c2) * 2;
      if (acc < 0) acc = 0;
      if (acc > LnumInt) {
        LnumInt = acc;
        iMax = i;
      }
    }
    if (LnumInt === 0) return;
    lambda = add(lambda, iMax);
    // Energy of the chosen window, slid back from the first one sample at a time.
    for (let i = 1; i <= iMax; i++) {
      const vin = x[pd - i]!;
      const vout = x[pd - i + L_SUBFR]!;
      ed = (ed + Math.imul(vin, vin) - Math.imul(vout, vout)) | 0;
    }
    acc = ed * 2;
    if (acc === 0) return;
    const LdenInt = acc;

    // Fractional delays with the short interpolation filter. One pass per phase forms the
    // interpolated signal, its energies and both correlations with x: the inputs are scaled
    // to |x| <= 4096 and the 4 taps sum to < 1.2 in absolute value, so |yUp| < 4900 and no
    // sum (40 terms of < 2^25) comes near 2^30 — exact in int32, no L_mac could saturate.
    const past0 = xo - sub(lambda, LH_UP_S - 1);
    this.past0 = past0;
    if (this.arena) {
      this.arena.exports.phaseSearch(x.byteOffset, xo, past0, this.arena.hupSAddress, yUp.byteOffset, this.phaseRows.byteOffset, this.scratch.byteOffset);
    } else if (HUP_S_MIRRORED) {
      for (let phi = 1; phi < F_UP_PST / 2; phi++) this.interpolatePhasePair(phi, past0);
      this.interpolatePhase(F_UP_PST / 2, past0);
    } else for (let phi = 1; phi < F_UP_PST; phi++) this.interpolatePhase(phi, past0);
    let LdenMax = LdenInt;
    for (let phi = 1; phi < F_UP_PST; phi++) {
      const yo = (phi - 1) * L_SUBFRP1;
      if (abs_s(yUp[yo]!) > abs_s(yUp[yo + L_SUBFR]!)) {
        if (this.Lden0[phi - 1]! > LdenMax) LdenMax = this.Lden0[phi - 1]!;
      } else if (this.Lden1[phi - 1]! > LdenMax) LdenMax = this.Lden1[phi - 1]!;
    }
    if (LdenMax === 0) return;
    const shDen = sub(16, norm_l(LdenMax));
    if (shDen <= 0) return;
    const shNum = sub(shDen, shEner) >= 0 ? shDen : shEner;

    let denMax = (L_shr(LdenInt, shDen) << 16) >> 16;
    let numMax = (L_shr(LnumInt, shNum) << 16) >> 16;
    const corr0 = this.corr0;
    const corr1 = this.corr1;
    const Lden0 = this.Lden0;
    const Lden1 = this.Lden1;
    acc = L_mult(numMax, numMax);
    let hiMax = acc >> 16;
    let loMax = (acc >> 1) & 0x7fff;
    let phiMax = 0;
    let ioff = 1;
    // All terms here are non-negative and below 2^15 (every energy is at most LdenMax, and a
    // correlation at most the larger energy), so L_mult, Mpy_32_16 and L_sub cannot saturate:
    // Mpy_32_16(hi, lo, n) = 2 (hi n + (lo n >> 15)) < 2^31 in int32.
    // Both halves of each phase in turn: half 0 is corr0 / Lden0, half 1 is corr1 / Lden1.
    for (let phi = 1; phi < F_UP_PST; phi++) {
      for (let half = 0; half < 2; half++) {
        acc = (half === 0 ? corr0 : corr1)[phi - 1]! >> shNum;
        const num = acc < 0 ? 0 : (acc << 16) >> 16;
        acc = num === -32768 ? MAX_32 : Math.imul(num, num) * 2;
        const hi = acc >> 16;
        const lo = (acc >> 1) & 0x7fff;
        const den = (((half === 0 ? Lden0 : Lden1)[phi - 1]! >> shDen) << 16) >> 16;
        if (((Math.imul(hi, denMax) + (Math.imul(lo, denMax) >> 15)) << 1) > ((Math.imul(hiMax, den) + (Math.imul(loMax, den) >> 15)) << 1)) {
          numMax = num;
          hiMax = hi;
          loMax = lo;
          denMax = den;
          ioff = half;
          phiMax = phi;
        }
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

  /**
   * One phase of the short interpolation filter: the first and last of its 41 samples from past0 (into yUp),
   * its energies without the last / first sample and its correlations with x at both integer
   * neighbours. Inputs are scaled to |x| <= 4096 and the 4 taps sum to < 1.2 in absolute value,
   * so |yUp| < 4900 and no sum (40 terms of < 2^25) comes near 2^30: exact in int32, and no
   * L_mac of the standard could saturate.
   */
  private interpolatePhase(phi: number, past0: number): void {
    const x = this.sigCadr;
    const xo = this.base + MEM_RES2;
    const yUp = this.yUp;
    const yo = (phi - 1) * L_SUBFRP1;
    const ho = (phi - 1) * LH2_S;
    const h0 = tabHupS[ho]! * 2;
    const h1 = tabHupS[ho + 1]! * 2;
    const h2 = tabHupS[ho + 2]! * 2;
    const h3 = tabHupS[ho + 3]! * 2;
    // Sliding window x[p1-3..p1] in locals.
    let xm3 = x[past0 - 3]!, xm2 = x[past0 - 2]!, xm1 = x[past0 - 1]!, xc = x[past0]!;
    const y0 = (Math.imul(h0, xc) + Math.imul(h1, xm1) + Math.imul(h2, xm2) + Math.imul(h3, xm3) + 0x8000) >> 16;
    yUp[yo] = y0;
    let c0 = Math.imul(x[xo]!, y0);
    let c1 = 0;
    let e = 0;
    if (h0 === h3 && h1 === h2) {
      // A symmetric phase (the middle one): h0 (x0 + x3) + h1 (x1 + x2), the same exact sum.
      // Samples 1..38 two per pass, then sample 39.
      let xPrev = x[xo]!;
      for (let n = 1; n < L_SUBFR - 1; n += 2) {
        const u = x[past0 + n]!;
        const v = x[past0 + n + 1]!;
        const xn = x[xo + n]!;
        const xn1 = x[xo + n + 1]!;
        const ya = (Math.imul(h0, u + xm2) + Math.imul(h1, xc + xm1) + 0x8000) >> 16;
        const yb = (Math.imul(h0, v + xm1) + Math.imul(h1, u + xc) + 0x8000) >> 16;
        c0 = (c0 + Math.imul(xn, ya) + Math.imul(xn1, yb)) | 0;
        c1 = (c1 + Math.imul(xPrev, ya) + Math.imul(xn, yb)) | 0;
        e = (e + Math.imul(ya, ya) + Math.imul(yb, yb)) | 0;
        xm3 = xm1;
        xm2 = xc;
        xm1 = u;
        xc = v;
        xPrev = xn1;
      }
      xm3 = xm2;
      xm2 = xm1;
      xm1 = xc;
      xc = x[past0 + L_SUBFR - 1]!;
      const y = (Math.imul(h0, xc + xm3) + Math.imul(h1, xm1 + xm2) + 0x8000) >> 16;
      c0 = (c0 + Math.imul(x[xo + L_SUBFR - 1]!, y)) | 0;
      c1 = (c1 + Math.imul(xPrev, y)) | 0;
      e = (e + Math.imul(y, y)) | 0;
    } else {
      for (let n = 1; n < L_SUBFR; n++) {
        xm3 = xm2;
        xm2 = xm1;
        xm1 = xc;
        xc = x[past0 + n]!;
        const y = (Math.imul(h0, xc) + Math.imul(h1, xm1) + Math.imul(h2, xm2) + Math.imul(h3, xm3) + 0x8000) >> 16;
        c0 = (c0 + Math.imul(x[xo + n]!, y)) | 0;
        c1 = (c1 + Math.imul(x[xo + n - 1]!, y)) | 0;
        e = (e + Math.imul(y, y)) | 0;
      }
    }
    const yLast = (Math.imul(h0, x[past0 + L_SUBFR]!) + Math.imul(h1, xc) + Math.imul(h2, xm1) + Math.imul(h3, xm2) + 0x8000) >> 16;
    yUp[yo + L_SUBFR] = yLast;
    c1 = (c1 + Math.imul(x[xo + L_SUBFR - 1]!, yLast)) | 0;
    this.corr0[phi - 1] = c0 * 2;
    this.corr1[phi - 1] = c1 * 2;
    this.Lden0[phi - 1] = (e + Math.imul(y0, y0)) * 2;
    this.Lden1[phi - 1] = (e + Math.imul(yLast, yLast)) * 2;
  }

  /**
   * Phases phi and 8 - phi at once (as interpolatePhase). Their taps are mirror images, so with
   * S = (h0 + h3)(x0 + x3) + (h1 + h2)(x1 + x2) and D = (h0 - h3)(x0 - x3) + (h1 - h2)(x1 - x2)
   * the two exact filter sums are (S + D) / 2 and (S - D) / 2: 4 products instead of 8. Their
   * rounding ((v / 2 + 2^15) >> 16) is (S ± D + 2^16) >> 17; |S ± D| < 2^30, no overflow.
   */
  private interpolatePhasePair(phi: number, past0: number): void {
    const x = this.sigCadr;
    const xo = this.base + MEM_RES2;
    const yUp = this.yUp;
    const phiB = F_UP_PST - phi;
    const yoA = (phi - 1) * L_SUBFRP1;
    const yoB = (phiB - 1) * L_SUBFRP1;
    const ho = (phi - 1) * LH2_S;
    const p03 = (tabHupS[ho]! + tabHupS[ho + 3]!) * 2;
    const m03 = (tabHupS[ho]! - tabHupS[ho + 3]!) * 2;
    const p12 = (tabHupS[ho + 1]! + tabHupS[ho + 2]!) * 2;
    const m12 = (tabHupS[ho + 1]! - tabHupS[ho + 2]!) * 2;
    let xm3 = x[past0 - 3]!, xm2 = x[past0 - 2]!, xm1 = x[past0 - 1]!, xc = x[past0]!;
    let sS = Math.imul(p03, xc + xm3) + Math.imul(p12, xm1 + xm2);
    let sD = Math.imul(m03, xc - xm3) + Math.imul(m12, xm1 - xm2);
    const a0 = (sS + sD + 0x10000) >> 17;
    const b0 = (sS - sD + 0x10000) >> 17;
    yUp[yoA] = a0;
    yUp[yoB] = b0;
    const xf = x[xo]!;
    let cA0 = Math.imul(xf, a0);
    let cB0 = Math.imul(xf, b0);
    let cA1 = 0;
    let cB1 = 0;
    let eA = 0;
    let eB = 0;
    let xPrev = xf;
    // Samples 1..38 two per pass (less loop overhead), then sample 39.
    for (let n = 1; n < L_SUBFR - 1; n += 2) {
      // Sample n: window (xm2, xm1, xc, u); sample n + 1: (xm1, xc, u, v).
      const u = x[past0 + n]!;
      const v = x[past0 + n + 1]!;
      sS = Math.imul(p03, u + xm2) + Math.imul(p12, xc + xm1);
      sD = Math.imul(m03, u - xm2) + Math.imul(m12, xc - xm1);
      let ya = (sS + sD + 0x10000) >> 17;
      let yb = (sS - sD + 0x10000) >> 17;
      const xn = x[xo + n]!;
      const xn1 = x[xo + n + 1]!;
      cA0 = (cA0 + Math.imul(xn, ya)) | 0;
      cB0 = (cB0 + Math.imul(xn, yb)) | 0;
      cA1 = (cA1 + Math.imul(xPrev, ya)) | 0;
      cB1 = (cB1 + Math.imul(xPrev, yb)) | 0;
      eA = (eA + Math.imul(ya, ya)) | 0;
      eB = (eB + Math.imul(yb, yb)) | 0;
      sS = Math.imul(p03, v + xm1) + Math.imul(p12, u + xc);
      sD = Math.imul(m03, v - xm1) + Math.imul(m12, u - xc);
      ya = (sS + sD + 0x10000) >> 17;
      yb = (sS - sD + 0x10000) >> 17;
      cA0 = (cA0 + Math.imul(xn1, ya)) | 0;
      cB0 = (cB0 + Math.imul(xn1, yb)) | 0;
      cA1 = (cA1 + Math.imul(xn, ya)) | 0;
      cB1 = (cB1 + Math.imul(xn, yb)) | 0;
      eA = (eA + Math.imul(ya, ya)) | 0;
      eB = (eB + Math.imul(yb, yb)) | 0;
      xm3 = xm1;
      xm2 = xc;
      xm1 = u;
      xc = v;
      xPrev = xn1;
    }
    {
      const n = L_SUBFR - 1;
      xm3 = xm2;
      xm2 = xm1;
      xm1 = xc;
      xc = x[past0 + n]!;
      sS = Math.imul(p03, xc + xm3) + Math.imul(p12, xm1 + xm2);
      sD = Math.imul(m03, xc - xm3) + Math.imul(m12, xm1 - xm2);
      const ya = (sS + sD + 0x10000) >> 17;
      const yb = (sS - sD + 0x10000) >> 17;
      const xn = x[xo + n]!;
      cA0 = (cA0 + Math.imul(xn, ya)) | 0;
      cB0 = (cB0 + Math.imul(xn, yb)) | 0;
      cA1 = (cA1 + Math.imul(xPrev, ya)) | 0;
      cB1 = (cB1 + Math.imul(xPrev, yb)) | 0;
      eA = (eA + Math.imul(ya, ya)) | 0;
      eB = (eB + Math.imul(yb, yb)) | 0;
      xPrev = xn;
    }
    const xl = x[past0 + L_SUBFR]!;
    sS = Math.imul(p03, xl + xm2) + Math.imul(p12, xc + xm1);
    sD = Math.imul(m03, xl - xm2) + Math.imul(m12, xc - xm1);
    const aL = (sS + sD + 0x10000) >> 17;
    const bL = (sS - sD + 0x10000) >> 17;
    yUp[yoA + L_SUBFR] = aL;
    yUp[yoB + L_SUBFR] = bL;
    cA1 = (cA1 + Math.imul(xPrev, aL)) | 0;
    cB1 = (cB1 + Math.imul(xPrev, bL)) | 0;
    this.corr0[phi - 1] = cA0 * 2;
    this.corr1[phi - 1] = cA1 * 2;
    this.Lden0[phi - 1] = (eA + Math.imul(a0, a0)) * 2;
    this.Lden1[phi - 1] = (eA + Math.imul(aL, aL)) * 2;
    this.corr0[phiB - 1] = cB0 * 2;
    this.corr1[phiB - 1] = cB1 * 2;
    this.Lden0[phiB - 1] = (eB + Math.imul(b0, b0)) * 2;
    this.Lden1[phiB - 1] = (eB + Math.imul(bL, bL)) * 2;
  }

  /** compute_ltp_l: delayed signal with the long interpolation filter (into sigLtp[1..]) and its gain terms. */
  private computeLtpLong(ltpdel: number, phase: number, r: LtpSearch): void {
    const x = this.sigCadr;
    const xo = this.base + MEM_RES2;
    const y = this.sigLtp;
    const ho = shl(sub(phase, 1), 4);
    const p0 = xo + sub(LH_UP_L, ltpdel);
    // The filter writes sigLtp[1..] and its sums into longOut: correlation with x, energy, max |y|.
    const sums = this.longOut;
    if (this.arena) this.arena.exports.longFilter(x.byteOffset, p0, xo, this.arena.hupLAddress + ho * 2, y.byteOffset + 2, sums.byteOffset);
    else this.longFilterJs(ho, p0, sums);
    const corr = sums[0]!;
    const energy = sums[1]!;
    const maxY = sums[2]!;
    // |x| <= 4096: with 80 * 4096 * max|y| < 2^31 no partial sum of the correlation can
    // saturate, and the int32 sum is exact; otherwise the saturating sum is formed.
    let acc = maxY <= 6553 ? corr * 2 : dotProduct(0, y, 1, x, xo, L_SUBFR);
    if (acc < 0) {
      r.num = 0;
      r.shNum = 0;
    } else {
      let temp = sub(16, norm_l(acc));
      if (temp < 0) temp = 0;
      r.num = (L_shr(acc, temp) << 16) >> 16;
      r.shNum = temp;
    }
    // The energy's terms are non-negative (|y| < 2^15, so none saturates): the running sum only
    // grows, and saturating it once at the end is the same as at every step. Each half sum has
    // 20 terms below 2^26.2: exact int32.
    acc = energy * 2;
    if (acc > MAX_32) acc = MAX_32;
    let temp = sub(16, norm_l(acc));
    if (temp < 0) temp = 0;
    r.den = (L_shr(acc, temp) << 16) >> 16;
    r.shDen = temp;
  }

  /** compute_ltp_l's filter in TypeScript: sigLtp[1..] from sigCadr; into sums the correlation, energy and max |y|. */
  private longFilterJs(ho: number, p0: number, sums: Int32Array): void {
    const x = this.sigCadr;
    const xo = this.base + MEM_RES2;
    const y = this.sigLtp;
    const k0 = tabHupL[ho]!, k1 = tabHupL[ho + 1]!, k2 = tabHupL[ho + 2]!, k3 = tabHupL[ho + 3]!;
    const k4 = tabHupL[ho + 4]!, k5 = tabHupL[ho + 5]!, k6 = tabHupL[ho + 6]!, k7 = tabHupL[ho + 7]!;
    const k8 = tabHupL[ho + 8]!, k9 = tabHupL[ho + 9]!, k10 = tabHupL[ho + 10]!, k11 = tabHupL[ho + 11]!;
    const k12 = tabHupL[ho + 12]!, k13 = tabHupL[ho + 13]!, k14 = tabHupL[ho + 14]!, k15 = tabHupL[ho + 15]!;
    let maxY = 0;
    let corr = 0;
    let enA = 0;
    let enB = 0;
    // 16 taps (|sum| < 2.1) on 12-bit input: the sums stay far from saturation, and
    // round(L_shl(acc, 1)) = (acc + 2^14) >> 15. Two outputs per pass share their sample loads.
    for (let n = 0; n < L_SUBFR; n += 2) {
      const p = p0 + n - 15;
      let v = x[p]!; let a = Math.imul(v, k15);
      v = x[p + 1]!; a = (a + Math.imul(v, k14)) | 0; let b = Math.imul(v, k15);
      v = x[p + 2]!; a = (a + Math.imul(v, k13)) | 0; b = (b + Math.imul(v, k14)) | 0;
      v = x[p + 3]!; a = (a + Math.imul(v, k12)) | 0; b = (b + Math.imul(v, k13)) | 0;
      v = x[p + 4]!; a = (a + Math.imul(v, k11)) | 0; b = (b + Math.imul(v, k12)) | 0;
      v = x[p + 5]!; a = (a + Math.imul(v, k10)) | 0; b = (b + Math.imul(v, k11)) | 0;
      v = x[p + 6]!; a = (a + Math.imul(v, k9)) | 0; b = (b + Math.imul(v, k10)) | 0;
      v = x[p + 7]!; a = (a + Math.imul(v, k8)) | 0; b = (b + Math.imul(v, k9)) | 0;
      v = x[p + 8]!; a = (a + Math.imul(v, k7)) | 0; b = (b + Math.imul(v, k8)) | 0;
      v = x[p + 9]!; a = (a + Math.imul(v, k6)) | 0; b = (b + Math.imul(v, k7)) | 0;
      v = x[p + 10]!; a = (a + Math.imul(v, k5)) | 0; b = (b + Math.imul(v, k6)) | 0;
      v = x[p + 11]!; a = (a + Math.imul(v, k4)) | 0; b = (b + Math.imul(v, k5)) | 0;
      v = x[p + 12]!; a = (a + Math.imul(v, k3)) | 0; b = (b + Math.imul(v, k4)) | 0;
      v = x[p + 13]!; a = (a + Math.imul(v, k2)) | 0; b = (b + Math.imul(v, k3)) | 0;
      v = x[p + 14]!; a = (a + Math.imul(v, k1)) | 0; b = (b + Math.imul(v, k2)) | 0;
      v = x[p + 15]!; a = (a + Math.imul(v, k0)) | 0; b = (b + Math.imul(v, k1)) | 0;
      v = x[p + 16]!; b = (b + Math.imul(v, k0)) | 0;
      const va = (a + 0x4000) >> 15;
      const vb = (b + 0x4000) >> 15;
      y[1 + n] = va;
      y[2 + n] = vb;
      const m = Math.max(Math.abs(va), Math.abs(vb));
      if (m > maxY) maxY = m;
      corr = (corr + Math.imul(va, x[xo + n]!) + Math.imul(vb, x[xo + n + 1]!)) | 0;
      enA = (enA + Math.imul(va, va)) | 0;
      enB = (enB + Math.imul(vb, vb)) | 0;
    }
    sums[0] = corr;
    // The energy halves each sum 20 terms below 2^26.2: their sum fits an Int32 too.
    sums[1] = enA + enB;
    sums[2] = maxY;
  }


  /**
   * calc_st_filt: impulse response of A(z/γ2)/A(z/γ1), its first parcor (returned) and
   * the gain normalization of the short-term filter input.
   */
  private shortTermGain(): number {
    const h = this.h;
    this.synthesis.run(this.apond1, 0, this.apond2, 0, h, 0, LONG_H_ST, this.memZero, false);
    // calc_rc0_h, with the energy, the first autocorrelation and the magnitude sum in one pass.
    // Energy: non-negative terms, so clamping the exact sum once is the saturating sum (a
    // -32768 sample gives 2^31 instead of 2^31 - 1: over the limit either way). Correlation:
    // exact while |terms| sum below 2^31, else formed by the saturating dotProduct.
    // Magnitudes: 20 below 2^15, the sum cannot saturate.
    let sq = 0;
    let cr = 0;
    let bound = 0;
    let Lg0 = 0;
    let prev = h[0]!;
    sq = Math.imul(prev, prev);
    Lg0 = prev === -32768 ? 32767 : Math.abs(prev);
    // Samples 1..18 two per pass, then sample 19.
    for (let i = 1; i < LONG_H_ST - 1; i += 2) {
      const v = h[i]!;
      const w = h[i + 1]!;
      sq += Math.imul(v, v) + Math.imul(w, w);
      const p = Math.imul(prev, v);
      const q = Math.imul(v, w);
      cr += p + q;
      bound += Math.abs(p) + Math.abs(q);
      Lg0 += (v === -32768 ? 32767 : Math.abs(v)) + (w === -32768 ? 32767 : Math.abs(w));
      prev = w;
    }
    {
      const v = h[LONG_H_ST - 1]!;
      sq += Math.imul(v, v);
      const p = Math.imul(prev, v);
      cr += p;
      bound += Math.abs(p);
      Lg0 += v === -32768 ? 32767 : Math.abs(v);
    }
    let acc = sq * 2;
    if (acc > MAX_32) acc = MAX_32;
    const shAcf = norm_l(acc);
    acc = L_shl(acc, shAcf);
    const acf0 = acc >> 16;
    acc = bound * 2 <= MAX_32 ? cr * 2 : dotProduct(0, h, 0, h, 1, LONG_H_ST - 1);
    acc = L_shl(acc, shAcf);
    const acf1 = acc >> 16;
    let rc0: number;
    if (sub(acf0, abs_s(acf1)) < 0) rc0 = 0;
    else {
      rc0 = div_s(abs_s(acf1), acf0);
      if (acf1 > 0) rc0 = negate(rc0);
    }
    const g0 = L_shl(Lg0, 14) >> 16;
    if (sub(g0, 1024) > 0) {
      const temp = div_s(1024, g0);
      const s = this.sigLtp;
      // 0 < temp < 2^15: mult_r cannot saturate.
      for (let i = 1; i <= L_SUBFR; i += 4) {
        s[i] = (Math.imul(s[i]!, temp) + 0x4000) >> 15;
        s[i + 1] = (Math.imul(s[i + 1]!, temp) + 0x4000) >> 15;
        s[i + 2] = (Math.imul(s[i + 2]!, temp) + 0x4000) >> 15;
        s[i + 3] = (Math.imul(s[i + 3]!, temp) + 0x4000) >> 15;
      }
    }
    return rc0;
  }

  /**
   * filt_mu: tilt compensation (1 + mu z^-1) / (1 - |mu|) of sigLtp (starting at sample -1).
   * Returns the sum of the output magnitudes (for scale()).
   */
  private tilt(parcor0: number, out: Int16Array, outOff: number): number {
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
    // |mu| < 2^14 and 0 <= ga < 2^15 here, so no product saturates, and
    // |x 2^15 + 2 mu x'| + 2^14 < 2^31: only the last sum (2 temp ga + Lfact) can saturate, to
    // 2^31 - 1, whose shifted value clamps to 32767.
    const satFrom = 0x40000000 - (Lfact >> 1);
    let prev = s[0]!;
    let absSum = 0;
    // Two samples per pass.
    for (let n = 0; n < L_SUBFR; n += 2) {
      const cur = s[n + 1]!;
      const nxt = s[n + 2]!;
      const L = (cur << 15) + Math.imul(mu, prev) * 2 + 0x4000;
      const L2 = (nxt << 15) + Math.imul(mu, cur) * 2 + 0x4000;
      prev = nxt;
      // extract_l(L >> 15)
      const q = Math.imul((L << 1) >> 16, ga);
      const q2 = Math.imul((L2 << 1) >> 16, ga);
      let v = 32767;
      if (q < satFrom) {
        v = (q * 2 + Lfact) >> shFact1;
        v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      let v2 = 32767;
      if (q2 < satFrom) {
        v2 = (q2 * 2 + Lfact) >> shFact1;
        v2 = v2 > 32767 ? 32767 : v2 < -32768 ? -32768 : v2;
      }
      out[outOff + n] = v;
      out[outOff + n + 1] = v2;
      absSum += Math.abs(v) + Math.abs(v2);
    }
    return absSum;
  }

  /** scale_st: adaptive gain control toward the input subframe's level (outAbsSum: sum of |out|, from tilt()). */
  private scale(sigIn: Int16Array, inOff: number, out: Int16Array, outOff: number, outAbsSum: number): void {
    // 40 magnitudes of at most 2^15 sum below 2^31: L_add never saturates here.
    let acc = 0;
    for (let i = 0; i < L_SUBFR; i += 4) {
      const k = inOff + i;
      acc += Math.abs(sigIn[k]!) + Math.abs(sigIn[k + 1]!) + Math.abs(sigIn[k + 2]!) + Math.abs(sigIn[k + 3]!);
    }
    let g0: number;
    if (acc === 0) g0 = 0;
    else {
      const scalIn = norm_l(acc);
      acc = L_shl(acc, scalIn);
      const sgIn = acc >> 16;
      acc = outAbsSum;
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
    // Two samples per pass.
    for (let i = 0; i < L_SUBFR; i += 2) {
      // mult_r(AGC_FAC, gain) cannot saturate (AGC_FAC < 2^15); add() can.
      gain = ((Math.imul(AGC_FAC, gain) + 0x4000) >> 15) + g0;
      if (gain > 32767) gain = 32767;
      else if (gain < -32768) gain = -32768;
      // round(L_shl(L_mult(gain, x), 1)) = (4 p + 2^15) >> 16 = (p + 2^13) >> 14 unless it saturates.
      const p = Math.imul(gain, out[outOff + i]!);
      out[outOff + i] = p < 0x1fffe000 ? (p >= -0x20000000 ? (p + 0x2000) >> 14 : -32768) : 32767;
      gain = ((Math.imul(AGC_FAC, gain) + 0x4000) >> 15) + g0;
      if (gain > 32767) gain = 32767;
      else if (gain < -32768) gain = -32768;
      const p2 = Math.imul(gain, out[outOff + i + 1]!);
      out[outOff + i + 1] = p2 < 0x1fffe000 ? (p2 >= -0x20000000 ? (p2 + 0x2000) >> 14 : -32768) : 32767;
    }
    this.gainPrec = gain;
  }
}

const MAX_32 = 2147483647;

/** The short interpolation filters of phases phi and 8 - phi are mirror images (used to share products). */
const HUP_S_MIRRORED = (() => {
  for (let phi = 1; phi < F_UP_PST; phi++) {
    for (let k = 0; k < LH2_S; k++) {
      if (tabHupS[(phi - 1) * LH2_S + k] !== tabHupS[(F_UP_PST - phi - 1) * LH2_S + LH2_S - 1 - k]) return false;
    }
  }
  return true;
})();

/** dst[from..to) = src[from..to) scaled by 2^-shift (a left shift for shift < 0, which cannot saturate here). */
function scaleInto(src: Int16Array, dst: Int16Array, from: number, to: number, shift: number): void {
  let i = from;
  if (shift >= 0) {
    for (; i + 4 <= to; i += 4) {
      dst[i] = src[i]! >> shift;
      dst[i + 1] = src[i + 1]! >> shift;
      dst[i + 2] = src[i + 2]! >> shift;
      dst[i + 3] = src[i + 3]! >> shift;
    }
    for (; i < to; i++) dst[i] = src[i]! >> shift;
  } else {
    const left = -shift;
    for (; i + 4 <= to; i += 4) {
      dst[i] = src[i]! << left;
      dst[i + 1] = src[i + 1]! << left;
      dst[i + 2] = src[i + 2]! << left;
      dst[i + 3] = src[i + 3]! << left;
    }
    for (; i < to; i++) dst[i] = src[i]! << left;
  }
}

/**
 * The OR of abs_s(v) over v = x[from..to): the standard's magnitude bits, of which only the
 * highest matters (norm_s); it is also the highest bit of the largest magnitude. Branch-free:
 * |v| with -32768 giving 32768, mapped back to 32767 at the end (its highest bit is 14 either way).
 */
function magnitudeBits(x: Int16Array, from: number, to: number): number {
  let bits = 0;
  let i = from;
  for (; i + 4 <= to; i += 4) bits |= Math.abs(x[i]!) | Math.abs(x[i + 1]!) | Math.abs(x[i + 2]!) | Math.abs(x[i + 3]!);
  for (; i < to; i++) bits |= Math.abs(x[i]!);
  return bits > 32767 ? 32767 : bits;
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
