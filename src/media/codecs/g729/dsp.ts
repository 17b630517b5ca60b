/**
 * Filters and LP-parameter routines shared by the G.729 decoders: synthesis filter 1/A(z),
 * inverse filter A(z), LP weighting, fractional-delay adaptive codebook, LSF→LSP and
 * LSP→LP conversion. Arrays are addressed as (array, offset) so callers can work inside
 * history buffers without copies; the order of the fixed-point operations is the
 * Recommendation's, so results are bit-exact.
 */
import { inter3l, slopeCos, table2 } from './tables.js';

/** LP order, as a local binding for the code here (exported bindings are read through a cell). */
const ORDER = 10;
export const M = ORDER;
export const MP1 = ORDER + 1;
export const L_FRAME = 80;
export const L_SUBFR = 40;
export const PIT_MAX = 143;
export const L_INTERPOL = 11;

const MAX_32 = 2147483647;
const MIN_32 = -2147483648;
/** A |sample| bound under which the 20-tap interpolation sum (and its rounding) cannot saturate: 2 * 18000 * 59398 + 2^15 < 2^31. */
const PRED_FAST_LIMIT = 18000;

/** Largest |x| with |a0 x| + absRest * maxY <= 2^30 - 1 (-1: none). */
function fastInputLimit(absA0: number, absRest: number, maxY: number): number {
  const budget = 1073741823 - absRest * maxY;
  if (budget < 0) return -1;
  return absA0 === 0 ? 32768 : Math.floor(budget / absA0);
}

/**
 * Synthesis filter 1/A(z) (Syn_filt) with the Recommendation's Overflow flag as its own state: `run` says whether
 * any 32-bit operation of that call saturated (the decoder rescales its excitation then). Each user owns one, so
 * no flag outlives a call or passes between decoders.
 */
export class SynthesisFilter {
  private overflow = false;

  /** L_msu step of the synthesis filter; raises overflow on saturation. */
  private msuStep(s: number, a: number, y: number): number {
    const p = Math.imul(a, y);
    s -= p === 0x40000000 ? MAX_32 : p * 2;
    if (p === 0x40000000) this.overflow = true;
    if (s > MAX_32) {
      this.overflow = true;
      return MAX_32;
    }
    if (s < MIN_32) {
      this.overflow = true;
      return MIN_32;
    }
    return s;
  }

  /** Output of an exact sum acc whose round(L_shl(2 acc, 3)) saturates (raises overflow). */
  private synSat(acc: number): number {
    this.overflow = true;
    return acc < 0 ? -32768 : 32767;
  }

  /**
   * One output of the synthesis filter by the Recommendation's saturating L_mult / L_msu chain
   * (y1 = most recent output); raises overflow on saturation.
   */
  private synSlow(
    a: Int16Array, aOff: number, xi: number,
    y1: number, y2: number, y3: number, y4: number, y5: number,
    y6: number, y7: number, y8: number, y9: number, y10: number,
  ): number {
    let s: number;
    const p = Math.imul(xi, a[aOff]!);
    if (p === 0x40000000) {
      this.overflow = true;
      s = MAX_32;
    } else s = p * 2;
    s = this.msuStep(s, a[aOff + 1]!, y1);
    s = this.msuStep(s, a[aOff + 2]!, y2);
    s = this.msuStep(s, a[aOff + 3]!, y3);
    s = this.msuStep(s, a[aOff + 4]!, y4);
    s = this.msuStep(s, a[aOff + 5]!, y5);
    s = this.msuStep(s, a[aOff + 6]!, y6);
    s = this.msuStep(s, a[aOff + 7]!, y7);
    s = this.msuStep(s, a[aOff + 8]!, y8);
    s = this.msuStep(s, a[aOff + 9]!, y9);
    s = this.msuStep(s, a[aOff + 10]!, y10);
    s *= 8;
    if (s > MAX_32) {
      s = MAX_32;
      this.overflow = true;
    } else if (s < MIN_32) {
      s = MIN_32;
      this.overflow = true;
    }
    s += 0x8000;
    if (s > MAX_32) {
      s = MAX_32;
      this.overflow = true;
    }
    return s >> 16;
  }

  /**
   * Filters `lg` samples; true when any 32-bit operation saturated. Input and output may alias
   * (same offset). The filter memory is kept in locals y1..y10; ten samples per pass, the
   * newest output replacing the oldest memory variable, so that no values move between
   * variables (after a pass the names are back in order: y1 = most recent output).
   */
  run(
    a: Int16Array, aOff: number,
    x: Int16Array, xOff: number,
    y: Int16Array, yOff: number,
    lg: number, mem: Int16Array, update: boolean,
  ): boolean {
    const a0 = a[aOff]!;
    const a1 = a[aOff + 1]!, a2 = a[aOff + 2]!, a3 = a[aOff + 3]!, a4 = a[aOff + 4]!, a5 = a[aOff + 5]!;
    const a6 = a[aOff + 6]!, a7 = a[aOff + 7]!, a8 = a[aOff + 8]!, a9 = a[aOff + 9]!, a10 = a[aOff + 10]!;
    let y1 = mem[9]!, y2 = mem[8]!, y3 = mem[7]!, y4 = mem[6]!, y5 = mem[5]!;
    let y6 = mem[4]!, y7 = mem[3]!, y8 = mem[2]!, y9 = mem[1]!, y10 = mem[0]!;
    this.overflow = false;
    // No partial sum of the L_mac/L_msu chain can leave the 32-bit range while
    // 2 * (|a0 x[i]| + (|a1| + … + |a10|) * max|y|) <= 2^31 - 2, with max|y| over the memory and
    // the outputs so far: then the plain int sum is exact and only the final shift and rounding
    // can saturate (round(L_shl(2 acc, 3)) = (acc + 2^11) >> 12 unless 16 acc or its rounding
    // leaves the 32-bit range). Samples that fail the bound take the operator-by-operator path.
    // Each output is written before the next input is read (y may alias x).
    const absRest = Math.abs(a1) + Math.abs(a2) + Math.abs(a3) + Math.abs(a4) + Math.abs(a5)
      + Math.abs(a6) + Math.abs(a7) + Math.abs(a8) + Math.abs(a9) + Math.abs(a10);
    const absA0 = Math.abs(a0);
    let i = 0;
    let acc = 0;
    if ((absA0 + absRest) * 32768 <= 1073741823) {
      // The bound holds for any input and output (|x|, |y| <= 2^15): no per-sample check
      // (the usual case for the postfilter's bandwidth-expanded filters).
      for (; i + 10 <= lg; i += 10) {
        acc = (Math.imul(x[xOff + i]!, a0) - Math.imul(a10, y10) - Math.imul(a9, y9) - Math.imul(a8, y8) - Math.imul(a7, y7) - Math.imul(a6, y6) - Math.imul(a5, y5) - Math.imul(a4, y4) - Math.imul(a3, y3) - Math.imul(a2, y2) - Math.imul(a1, y1)) | 0;
        y10 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i] = y10;
        acc = (Math.imul(x[xOff + i + 1]!, a0) - Math.imul(a10, y9) - Math.imul(a9, y8) - Math.imul(a8, y7) - Math.imul(a7, y6) - Math.imul(a6, y5) - Math.imul(a5, y4) - Math.imul(a4, y3) - Math.imul(a3, y2) - Math.imul(a2, y1) - Math.imul(a1, y10)) | 0;
        y9 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 1] = y9;
        acc = (Math.imul(x[xOff + i + 2]!, a0) - Math.imul(a10, y8) - Math.imul(a9, y7) - Math.imul(a8, y6) - Math.imul(a7, y5) - Math.imul(a6, y4) - Math.imul(a5, y3) - Math.imul(a4, y2) - Math.imul(a3, y1) - Math.imul(a2, y10) - Math.imul(a1, y9)) | 0;
        y8 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 2] = y8;
        acc = (Math.imul(x[xOff + i + 3]!, a0) - Math.imul(a10, y7) - Math.imul(a9, y6) - Math.imul(a8, y5) - Math.imul(a7, y4) - Math.imul(a6, y3) - Math.imul(a5, y2) - Math.imul(a4, y1) - Math.imul(a3, y10) - Math.imul(a2, y9) - Math.imul(a1, y8)) | 0;
        y7 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 3] = y7;
        acc = (Math.imul(x[xOff + i + 4]!, a0) - Math.imul(a10, y6) - Math.imul(a9, y5) - Math.imul(a8, y4) - Math.imul(a7, y3) - Math.imul(a6, y2) - Math.imul(a5, y1) - Math.imul(a4, y10) - Math.imul(a3, y9) - Math.imul(a2, y8) - Math.imul(a1, y7)) | 0;
        y6 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 4] = y6;
        acc = (Math.imul(x[xOff + i + 5]!, a0) - Math.imul(a10, y5) - Math.imul(a9, y4) - Math.imul(a8, y3) - Math.imul(a7, y2) - Math.imul(a6, y1) - Math.imul(a5, y10) - Math.imul(a4, y9) - Math.imul(a3, y8) - Math.imul(a2, y7) - Math.imul(a1, y6)) | 0;
        y5 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 5] = y5;
        acc = (Math.imul(x[xOff + i + 6]!, a0) - Math.imul(a10, y4) - Math.imul(a9, y3) - Math.imul(a8, y2) - Math.imul(a7, y1) - Math.imul(a6, y10) - Math.imul(a5, y9) - Math.imul(a4, y8) - Math.imul(a3, y7) - Math.imul(a2, y6) - Math.imul(a1, y5)) | 0;
        y4 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 6] = y4;
        acc = (Math.imul(x[xOff + i + 7]!, a0) - Math.imul(a10, y3) - Math.imul(a9, y2) - Math.imul(a8, y1) - Math.imul(a7, y10) - Math.imul(a6, y9) - Math.imul(a5, y8) - Math.imul(a4, y7) - Math.imul(a3, y6) - Math.imul(a2, y5) - Math.imul(a1, y4)) | 0;
        y3 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 7] = y3;
        acc = (Math.imul(x[xOff + i + 8]!, a0) - Math.imul(a10, y2) - Math.imul(a9, y1) - Math.imul(a8, y10) - Math.imul(a7, y9) - Math.imul(a6, y8) - Math.imul(a5, y7) - Math.imul(a4, y6) - Math.imul(a3, y5) - Math.imul(a2, y4) - Math.imul(a1, y3)) | 0;
        y2 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 8] = y2;
        acc = (Math.imul(x[xOff + i + 9]!, a0) - Math.imul(a10, y1) - Math.imul(a9, y10) - Math.imul(a8, y9) - Math.imul(a7, y8) - Math.imul(a6, y7) - Math.imul(a5, y6) - Math.imul(a4, y5) - Math.imul(a3, y4) - Math.imul(a2, y3) - Math.imul(a1, y2)) | 0;
        y1 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        y[yOff + i + 9] = y1;
      }
    } else {
      // The bound as a limit on |x[i]|, recomputed only when max|y| grows.
      let maxY = Math.max(Math.abs(y1), Math.abs(y2), Math.abs(y3), Math.abs(y4), Math.abs(y5),
        Math.abs(y6), Math.abs(y7), Math.abs(y8), Math.abs(y9), Math.abs(y10));
      let xLimit = fastInputLimit(absA0, absRest, maxY);
      let xi = 0;
      for (; i + 10 <= lg; i += 10) {
        xi = x[xOff + i]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y10) - Math.imul(a9, y9) - Math.imul(a8, y8) - Math.imul(a7, y7) - Math.imul(a6, y6) - Math.imul(a5, y5) - Math.imul(a4, y4) - Math.imul(a3, y3) - Math.imul(a2, y2) - Math.imul(a1, y1)) | 0;
          y10 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y10 = this.synSlow(a, aOff, xi, y1, y2, y3, y4, y5, y6, y7, y8, y9, y10);
        y[yOff + i] = y10;
        if (Math.abs(y10) > maxY) {
          maxY = Math.abs(y10);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 1]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y9) - Math.imul(a9, y8) - Math.imul(a8, y7) - Math.imul(a7, y6) - Math.imul(a6, y5) - Math.imul(a5, y4) - Math.imul(a4, y3) - Math.imul(a3, y2) - Math.imul(a2, y1) - Math.imul(a1, y10)) | 0;
          y9 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y9 = this.synSlow(a, aOff, xi, y10, y1, y2, y3, y4, y5, y6, y7, y8, y9);
        y[yOff + i + 1] = y9;
        if (Math.abs(y9) > maxY) {
          maxY = Math.abs(y9);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 2]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y8) - Math.imul(a9, y7) - Math.imul(a8, y6) - Math.imul(a7, y5) - Math.imul(a6, y4) - Math.imul(a5, y3) - Math.imul(a4, y2) - Math.imul(a3, y1) - Math.imul(a2, y10) - Math.imul(a1, y9)) | 0;
          y8 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y8 = this.synSlow(a, aOff, xi, y9, y10, y1, y2, y3, y4, y5, y6, y7, y8);
        y[yOff + i + 2] = y8;
        if (Math.abs(y8) > maxY) {
          maxY = Math.abs(y8);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 3]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y7) - Math.imul(a9, y6) - Math.imul(a8, y5) - Math.imul(a7, y4) - Math.imul(a6, y3) - Math.imul(a5, y2) - Math.imul(a4, y1) - Math.imul(a3, y10) - Math.imul(a2, y9) - Math.imul(a1, y8)) | 0;
          y7 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y7 = this.synSlow(a, aOff, xi, y8, y9, y10, y1, y2, y3, y4, y5, y6, y7);
        y[yOff + i + 3] = y7;
        if (Math.abs(y7) > maxY) {
          maxY = Math.abs(y7);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 4]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y6) - Math.imul(a9, y5) - Math.imul(a8, y4) - Math.imul(a7, y3) - Math.imul(a6, y2) - Math.imul(a5, y1) - Math.imul(a4, y10) - Math.imul(a3, y9) - Math.imul(a2, y8) - Math.imul(a1, y7)) | 0;
          y6 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y6 = this.synSlow(a, aOff, xi, y7, y8, y9, y10, y1, y2, y3, y4, y5, y6);
        y[yOff + i + 4] = y6;
        if (Math.abs(y6) > maxY) {
          maxY = Math.abs(y6);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 5]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y5) - Math.imul(a9, y4) - Math.imul(a8, y3) - Math.imul(a7, y2) - Math.imul(a6, y1) - Math.imul(a5, y10) - Math.imul(a4, y9) - Math.imul(a3, y8) - Math.imul(a2, y7) - Math.imul(a1, y6)) | 0;
          y5 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y5 = this.synSlow(a, aOff, xi, y6, y7, y8, y9, y10, y1, y2, y3, y4, y5);
        y[yOff + i + 5] = y5;
        if (Math.abs(y5) > maxY) {
          maxY = Math.abs(y5);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 6]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y4) - Math.imul(a9, y3) - Math.imul(a8, y2) - Math.imul(a7, y1) - Math.imul(a6, y10) - Math.imul(a5, y9) - Math.imul(a4, y8) - Math.imul(a3, y7) - Math.imul(a2, y6) - Math.imul(a1, y5)) | 0;
          y4 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y4 = this.synSlow(a, aOff, xi, y5, y6, y7, y8, y9, y10, y1, y2, y3, y4);
        y[yOff + i + 6] = y4;
        if (Math.abs(y4) > maxY) {
          maxY = Math.abs(y4);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 7]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y3) - Math.imul(a9, y2) - Math.imul(a8, y1) - Math.imul(a7, y10) - Math.imul(a6, y9) - Math.imul(a5, y8) - Math.imul(a4, y7) - Math.imul(a3, y6) - Math.imul(a2, y5) - Math.imul(a1, y4)) | 0;
          y3 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y3 = this.synSlow(a, aOff, xi, y4, y5, y6, y7, y8, y9, y10, y1, y2, y3);
        y[yOff + i + 7] = y3;
        if (Math.abs(y3) > maxY) {
          maxY = Math.abs(y3);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 8]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y2) - Math.imul(a9, y1) - Math.imul(a8, y10) - Math.imul(a7, y9) - Math.imul(a6, y8) - Math.imul(a5, y7) - Math.imul(a4, y6) - Math.imul(a3, y5) - Math.imul(a2, y4) - Math.imul(a1, y3)) | 0;
          y2 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y2 = this.synSlow(a, aOff, xi, y3, y4, y5, y6, y7, y8, y9, y10, y1, y2);
        y[yOff + i + 8] = y2;
        if (Math.abs(y2) > maxY) {
          maxY = Math.abs(y2);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
        xi = x[xOff + i + 9]!;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y1) - Math.imul(a9, y10) - Math.imul(a8, y9) - Math.imul(a7, y8) - Math.imul(a6, y7) - Math.imul(a5, y6) - Math.imul(a4, y5) - Math.imul(a3, y4) - Math.imul(a2, y3) - Math.imul(a1, y2)) | 0;
          y1 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else y1 = this.synSlow(a, aOff, xi, y2, y3, y4, y5, y6, y7, y8, y9, y10, y1);
        y[yOff + i + 9] = y1;
        if (Math.abs(y1) > maxY) {
          maxY = Math.abs(y1);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
      }
      for (; i < lg; i++) {
        xi = x[xOff + i]!;
        let yi: number;
        if (Math.abs(xi) <= xLimit) {
          acc = (Math.imul(xi, a0) - Math.imul(a10, y10) - Math.imul(a9, y9) - Math.imul(a8, y8) - Math.imul(a7, y7)
            - Math.imul(a6, y6) - Math.imul(a5, y5) - Math.imul(a4, y4) - Math.imul(a3, y3) - Math.imul(a2, y2)
            - Math.imul(a1, y1)) | 0;
          yi = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
        } else yi = this.synSlow(a, aOff, xi, y1, y2, y3, y4, y5, y6, y7, y8, y9, y10);
        y10 = y9; y9 = y8; y8 = y7; y7 = y6; y6 = y5; y5 = y4; y4 = y3; y3 = y2; y2 = y1;
        y1 = yi;
        y[yOff + i] = y1;
        if (Math.abs(y1) > maxY) {
          maxY = Math.abs(y1);
          xLimit = fastInputLimit(absA0, absRest, maxY);
        }
      }
    }
    // Any remaining samples of the unchecked case (lg not a multiple of 10).
    for (; i < lg; i++) {
      acc = (Math.imul(x[xOff + i]!, a0) - Math.imul(a10, y10) - Math.imul(a9, y9) - Math.imul(a8, y8)
        - Math.imul(a7, y7) - Math.imul(a6, y6) - Math.imul(a5, y5) - Math.imul(a4, y4) - Math.imul(a3, y3)
        - Math.imul(a2, y2) - Math.imul(a1, y1)) | 0;
      y10 = y9; y9 = y8; y8 = y7; y7 = y6; y6 = y5; y5 = y4; y4 = y3; y3 = y2; y2 = y1;
      y1 = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : this.synSat(acc);
      y[yOff + i] = y1;
    }
    if (update) {
      // The memory is the last ORDER outputs (or the older memory, for lg < ORDER): the locals.
      mem[0] = y10;
      mem[1] = y9;
      mem[2] = y8;
      mem[3] = y7;
      mem[4] = y6;
      mem[5] = y5;
      mem[6] = y4;
      mem[7] = y3;
      mem[8] = y2;
      mem[9] = y1;
    }
    return this.overflow;
  }
}

/**
 * Saturating dot product: acc = L_mac(acc, x[i], y[i]) for i = 0..n-1 (no Overflow
 * flag: nobody reads one after these sums). A first pass sums exactly and bounds
 * every partial sum by |acc| + sum |2 x y|; only when that bound reaches the 32-bit limit is the
 * step-by-step saturating sum formed.
 */
export function dotProduct(acc: number, x: Int16Array, xOff: number, y: Int16Array, yOff: number, n: number): number {
  let sum = 0;
  let bound = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.imul(x[xOff + i]!, y[yOff + i]!);
    sum += p;
    bound += Math.abs(p);
  }
  if ((acc < 0 ? -acc : acc) + bound * 2 <= MAX_32) return acc + sum * 2;
  let s = acc;
  for (let i = 0; i < n; i++) {
    const p = Math.imul(x[xOff + i]!, y[yOff + i]!);
    s += p === 0x40000000 ? MAX_32 : p * 2;
    if (s > MAX_32) s = MAX_32;
    else if (s < MIN_32) s = MIN_32;
  }
  return s;
}

/**
 * Saturating energy: acc = L_mac(acc, x[i], x[i]) for i = 0..n-1, acc >= 0. Every term is
 * non-negative, so the running sum never decreases and once saturated stays at the maximum:
 * clamping the exact sum once at the end gives the same value.
 */
export function energy(acc: number, x: Int16Array, xOff: number, n: number): number {
  let sum = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = xOff + i;
    const v0 = x[k]!, v1 = x[k + 1]!, v2 = x[k + 2]!, v3 = x[k + 3]!;
    // Each term is at most 2^30: the 4 sum exactly in a double.
    sum += Math.imul(v0, v0) + Math.imul(v1, v1) + Math.imul(v2, v2) + Math.imul(v3, v3);
  }
  for (; i < n; i++) {
    const v = x[xOff + i]!;
    sum += Math.imul(v, v);
  }
  // A -32768 sample contributes 2^31 here instead of the saturated 2^31 - 1; either way the total is over the limit.
  const s = acc + sum * 2;
  return s > MAX_32 ? MAX_32 : s;
}

/**
 * Inverse filter A(z) (Residu): y[i] = sum a[j] x[i-j]; x needs M samples of history.
 * Returns the OR of the output magnitudes |y[i]| (-32768 counting as 32768).
 */
export function residu(a: Int16Array, aOff: number, x: Int16Array, xOff: number, y: Int16Array, yOff: number, lg: number): number {
  let mag = 0;
  const a0 = a[aOff]!, a1 = a[aOff + 1]!, a2 = a[aOff + 2]!, a3 = a[aOff + 3]!, a4 = a[aOff + 4]!, a5 = a[aOff + 5]!;
  const a6 = a[aOff + 6]!, a7 = a[aOff + 7]!, a8 = a[aOff + 8]!, a9 = a[aOff + 9]!, a10 = a[aOff + 10]!;
  const absSum = Math.abs(a0) + Math.abs(a1) + Math.abs(a2) + Math.abs(a3) + Math.abs(a4) + Math.abs(a5)
    + Math.abs(a6) + Math.abs(a7) + Math.abs(a8) + Math.abs(a9) + Math.abs(a10);
  // With sum |a| <= 32767 the bound below holds for any input (the postfilter's usual case): no scan.
  let maxX = 32768;
  if (absSum > 32767) {
    maxX = 0;
    for (let k = xOff - ORDER; k < xOff + lg; k++) {
      const v = x[k]!;
      if (v > maxX) maxX = v;
      else if (-v > maxX) maxX = -v;
    }
  }
  if (absSum * maxX <= 1073741823) {
    // As in SynthesisFilter: 2 * sum |a| * max|x| < 2^31, so no partial sum can saturate; only the shift and rounding can.
    // Two outputs per pass share their 12 sample loads (y never aliases x here).
    let i = 0;
    for (; i + 1 < lg; i += 2) {
      const p = xOff + i - ORDER;
      let v = x[p]!; let u = Math.imul(v, a10);
      v = x[p + 1]!; u = (u + Math.imul(v, a9)) | 0; let w = Math.imul(v, a10);
      v = x[p + 2]!; u = (u + Math.imul(v, a8)) | 0; w = (w + Math.imul(v, a9)) | 0;
      v = x[p + 3]!; u = (u + Math.imul(v, a7)) | 0; w = (w + Math.imul(v, a8)) | 0;
      v = x[p + 4]!; u = (u + Math.imul(v, a6)) | 0; w = (w + Math.imul(v, a7)) | 0;
      v = x[p + 5]!; u = (u + Math.imul(v, a5)) | 0; w = (w + Math.imul(v, a6)) | 0;
      v = x[p + 6]!; u = (u + Math.imul(v, a4)) | 0; w = (w + Math.imul(v, a5)) | 0;
      v = x[p + 7]!; u = (u + Math.imul(v, a3)) | 0; w = (w + Math.imul(v, a4)) | 0;
      v = x[p + 8]!; u = (u + Math.imul(v, a2)) | 0; w = (w + Math.imul(v, a3)) | 0;
      v = x[p + 9]!; u = (u + Math.imul(v, a1)) | 0; w = (w + Math.imul(v, a2)) | 0;
      v = x[p + 10]!; u = (u + Math.imul(v, a0)) | 0; w = (w + Math.imul(v, a1)) | 0;
      v = x[p + 11]!; w = (w + Math.imul(v, a0)) | 0;
      // round(L_shl(2 acc, 3)), as in SynthesisFilter.
      const r0 = u < 0x7fff800 && u >= -0x8000000 ? (u + 2048) >> 12 : u < 0 ? -32768 : 32767;
      const r1 = w < 0x7fff800 && w >= -0x8000000 ? (w + 2048) >> 12 : w < 0 ? -32768 : 32767;
      y[yOff + i] = r0;
      y[yOff + i + 1] = r1;
      mag |= Math.abs(r0) | Math.abs(r1);
    }
    for (; i < lg; i++) {
      const k = xOff + i;
      const acc = (Math.imul(x[k]!, a0) + Math.imul(a1, x[k - 1]!) + Math.imul(a2, x[k - 2]!) + Math.imul(a3, x[k - 3]!)
        + Math.imul(a4, x[k - 4]!) + Math.imul(a5, x[k - 5]!) + Math.imul(a6, x[k - 6]!) + Math.imul(a7, x[k - 7]!)
        + Math.imul(a8, x[k - 8]!) + Math.imul(a9, x[k - 9]!) + Math.imul(a10, x[k - 10]!)) | 0;
      const r = acc < 0x7fff800 && acc >= -0x8000000 ? (acc + 2048) >> 12 : acc < 0 ? -32768 : 32767;
      y[yOff + i] = r;
      mag |= Math.abs(r);
    }
    return mag;
  }
  for (let i = 0; i < lg; i++) {
    let s = 0;
    for (let j = 0; j <= ORDER; j++) {
      const p = Math.imul(a[aOff + j]!, x[xOff + i - j]!);
      s += p === 0x40000000 ? MAX_32 : p * 2;
      if (s > MAX_32) s = MAX_32;
      else if (s < MIN_32) s = MIN_32;
    }
    s *= 8;
    if (s > MAX_32) s = MAX_32;
    else if (s < MIN_32) s = MIN_32;
    s += 0x8000;
    if (s > MAX_32) s = MAX_32;
    y[yOff + i] = s >> 16;
    mag |= Math.abs(s >> 16);
  }
  return mag;
}

/**
 * The factors gamma^i (i = 0..10) of Weight_Az (ap[i] = a[i] * gamma^i), rounded as it forms them
 * (for {@link weightAzPow}). round(L_mult(u, v)) with 0 < v < 2^15: the product and the rounding
 * stay below 2^31, so neither saturates.
 */
export function gammaPowers(gamma: number): Int16Array {
  const p = new Int16Array(ORDER + 1);
  p[0] = 32767;
  let fac = gamma;
  for (let i = 1; i <= ORDER; i++) {
    p[i] = fac;
    fac = (Math.imul(fac, gamma) * 2 + 0x8000) >> 16;
  }
  return p;
}

/** Weight_Az with the factors of {@link gammaPowers}: the same result, without the serial chain. */
export function weightAzPow(a: Int16Array, aOff: number, pow: Int16Array, ap: Int16Array): void {
  ap[0] = a[aOff]!;
  ap[1] = (Math.imul(a[aOff + 1]!, pow[1]!) * 2 + 0x8000) >> 16;
  ap[2] = (Math.imul(a[aOff + 2]!, pow[2]!) * 2 + 0x8000) >> 16;
  ap[3] = (Math.imul(a[aOff + 3]!, pow[3]!) * 2 + 0x8000) >> 16;
  ap[4] = (Math.imul(a[aOff + 4]!, pow[4]!) * 2 + 0x8000) >> 16;
  ap[5] = (Math.imul(a[aOff + 5]!, pow[5]!) * 2 + 0x8000) >> 16;
  ap[6] = (Math.imul(a[aOff + 6]!, pow[6]!) * 2 + 0x8000) >> 16;
  ap[7] = (Math.imul(a[aOff + 7]!, pow[7]!) * 2 + 0x8000) >> 16;
  ap[8] = (Math.imul(a[aOff + 8]!, pow[8]!) * 2 + 0x8000) >> 16;
  ap[9] = (Math.imul(a[aOff + 9]!, pow[9]!) * 2 + 0x8000) >> 16;
  ap[10] = (Math.imul(a[aOff + 10]!, pow[10]!) * 2 + 0x8000) >> 16;
}

/**
 * Adaptive codebook vector by 1/3-resolution interpolation of the past excitation
 * (Pred_lt_3), written in place at exc[off..off+L).
 */
export function predLt3(exc: Int16Array, off: number, t0: number, frac: number, L: number): void {
  let x0 = off - t0;
  frac = -frac;
  if (frac < 0) {
    frac += 3;
    x0--;
  }
  const c2Base = 3 - frac;
  // Output j is the 20-tap filter w over exc[x0 + j - 9 .. x0 + j + 10]: w0..w9 are the taps of
  // exc[x1 - 9 .. x1] (x1 = x0 + j), w10..w19 those of exc[x2 .. x2 + 9] (x2 = x1 + 1).
  const w0 = inter3l[frac + 27]!;
  const w1 = inter3l[frac + 24]!;
  const w2 = inter3l[frac + 21]!;
  const w3 = inter3l[frac + 18]!;
  const w4 = inter3l[frac + 15]!;
  const w5 = inter3l[frac + 12]!;
  const w6 = inter3l[frac + 9]!;
  const w7 = inter3l[frac + 6]!;
  const w8 = inter3l[frac + 3]!;
  const w9 = inter3l[frac]!;
  const w10 = inter3l[c2Base]!;
  const w11 = inter3l[c2Base + 3]!;
  const w12 = inter3l[c2Base + 6]!;
  const w13 = inter3l[c2Base + 9]!;
  const w14 = inter3l[c2Base + 12]!;
  const w15 = inter3l[c2Base + 15]!;
  const w16 = inter3l[c2Base + 18]!;
  const w17 = inter3l[c2Base + 21]!;
  const w18 = inter3l[c2Base + 24]!;
  const w19 = inter3l[c2Base + 27]!;
  // While every sample read is below PRED_FAST_LIMIT in magnitude no partial sum can
  // saturate (the 20 taps sum to < 59400 in absolute value), so plain int32 sums are exact.
  // maxAbs: the OR of the |samples| read so far, an upper bound of their largest magnitude
  // (branch-free). Outputs read exc[x0 - 9 .. x0 + L + 9]; samples from off on are this call's
  // own outputs, added as they are written.
  let maxAbs = 0;
  let end = x0 + L + 10;
  if (end > off) end = off;
  let k = x0 - 9;
  for (; k + 4 <= end; k += 4) maxAbs |= Math.abs(exc[k]!) | Math.abs(exc[k + 1]!) | Math.abs(exc[k + 2]!) | Math.abs(exc[k + 3]!);
  for (; k < end; k++) maxAbs |= Math.abs(exc[k]!);
  // Four outputs per pass share their sample loads; none reads another of the same pass (the
  // last reads up to x0 + j + 13 < off + j), as every lag is at least 19.
  const quads = x0 + 13 < off ? L >> 2 : 0;
  let j = 0;
  for (; j < 4 * quads; j += 4) {
    if (maxAbs <= PRED_FAST_LIMIT) {
      const p = x0 + j - 9;
      let v = exc[p]!; let a = Math.imul(v, w0);
      v = exc[p + 1]!; a = (a + Math.imul(v, w1)) | 0; let b = Math.imul(v, w0);
      v = exc[p + 2]!; a = (a + Math.imul(v, w2)) | 0; b = (b + Math.imul(v, w1)) | 0; let c = Math.imul(v, w0);
      v = exc[p + 3]!; a = (a + Math.imul(v, w3)) | 0; b = (b + Math.imul(v, w2)) | 0; c = (c + Math.imul(v, w1)) | 0; let d = Math.imul(v, w0);
      v = exc[p + 4]!; a = (a + Math.imul(v, w4)) | 0; b = (b + Math.imul(v, w3)) | 0; c = (c + Math.imul(v, w2)) | 0; d = (d + Math.imul(v, w1)) | 0;
      v = exc[p + 5]!; a = (a + Math.imul(v, w5)) | 0; b = (b + Math.imul(v, w4)) | 0; c = (c + Math.imul(v, w3)) | 0; d = (d + Math.imul(v, w2)) | 0;
      v = exc[p + 6]!; a = (a + Math.imul(v, w6)) | 0; b = (b + Math.imul(v, w5)) | 0; c = (c + Math.imul(v, w4)) | 0; d = (d + Math.imul(v, w3)) | 0;
      v = exc[p + 7]!; a = (a + Math.imul(v, w7)) | 0; b = (b + Math.imul(v, w6)) | 0; c = (c + Math.imul(v, w5)) | 0; d = (d + Math.imul(v, w4)) | 0;
      v = exc[p + 8]!; a = (a + Math.imul(v, w8)) | 0; b = (b + Math.imul(v, w7)) | 0; c = (c + Math.imul(v, w6)) | 0; d = (d + Math.imul(v, w5)) | 0;
      v = exc[p + 9]!; a = (a + Math.imul(v, w9)) | 0; b = (b + Math.imul(v, w8)) | 0; c = (c + Math.imul(v, w7)) | 0; d = (d + Math.imul(v, w6)) | 0;
      v = exc[p + 10]!; a = (a + Math.imul(v, w10)) | 0; b = (b + Math.imul(v, w9)) | 0; c = (c + Math.imul(v, w8)) | 0; d = (d + Math.imul(v, w7)) | 0;
      v = exc[p + 11]!; a = (a + Math.imul(v, w11)) | 0; b = (b + Math.imul(v, w10)) | 0; c = (c + Math.imul(v, w9)) | 0; d = (d + Math.imul(v, w8)) | 0;
      v = exc[p + 12]!; a = (a + Math.imul(v, w12)) | 0; b = (b + Math.imul(v, w11)) | 0; c = (c + Math.imul(v, w10)) | 0; d = (d + Math.imul(v, w9)) | 0;
      v = exc[p + 13]!; a = (a + Math.imul(v, w13)) | 0; b = (b + Math.imul(v, w12)) | 0; c = (c + Math.imul(v, w11)) | 0; d = (d + Math.imul(v, w10)) | 0;
      v = exc[p + 14]!; a = (a + Math.imul(v, w14)) | 0; b = (b + Math.imul(v, w13)) | 0; c = (c + Math.imul(v, w12)) | 0; d = (d + Math.imul(v, w11)) | 0;
      v = exc[p + 15]!; a = (a + Math.imul(v, w15)) | 0; b = (b + Math.imul(v, w14)) | 0; c = (c + Math.imul(v, w13)) | 0; d = (d + Math.imul(v, w12)) | 0;
      v = exc[p + 16]!; a = (a + Math.imul(v, w16)) | 0; b = (b + Math.imul(v, w15)) | 0; c = (c + Math.imul(v, w14)) | 0; d = (d + Math.imul(v, w13)) | 0;
      v = exc[p + 17]!; a = (a + Math.imul(v, w17)) | 0; b = (b + Math.imul(v, w16)) | 0; c = (c + Math.imul(v, w15)) | 0; d = (d + Math.imul(v, w14)) | 0;
      v = exc[p + 18]!; a = (a + Math.imul(v, w18)) | 0; b = (b + Math.imul(v, w17)) | 0; c = (c + Math.imul(v, w16)) | 0; d = (d + Math.imul(v, w15)) | 0;
      v = exc[p + 19]!; a = (a + Math.imul(v, w19)) | 0; b = (b + Math.imul(v, w18)) | 0; c = (c + Math.imul(v, w17)) | 0; d = (d + Math.imul(v, w16)) | 0;
      v = exc[p + 20]!; b = (b + Math.imul(v, w19)) | 0; c = (c + Math.imul(v, w18)) | 0; d = (d + Math.imul(v, w17)) | 0;
      v = exc[p + 21]!; c = (c + Math.imul(v, w19)) | 0; d = (d + Math.imul(v, w18)) | 0;
      v = exc[p + 22]!; d = (d + Math.imul(v, w19)) | 0;
      // round(L_shl(acc, 1)): |acc| < 2^30, so (2 acc + 2^15) >> 16 = (acc + 2^14) >> 15.
      const r0 = (a + 0x4000) >> 15;
      const r1 = (b + 0x4000) >> 15;
      const r2 = (c + 0x4000) >> 15;
      const r3 = (d + 0x4000) >> 15;
      exc[off + j] = r0;
      exc[off + j + 1] = r1;
      exc[off + j + 2] = r2;
      exc[off + j + 3] = r3;
      // Later outputs may read these (lags shorter than the subframe).
      maxAbs |= Math.abs(r0) | Math.abs(r1) | Math.abs(r2) | Math.abs(r3);
    } else {
      maxAbs = predSlow(exc, off, x0, frac, c2Base, j, maxAbs);
      maxAbs = predSlow(exc, off, x0, frac, c2Base, j + 1, maxAbs);
      maxAbs = predSlow(exc, off, x0, frac, c2Base, j + 2, maxAbs);
      maxAbs = predSlow(exc, off, x0, frac, c2Base, j + 3, maxAbs);
    }
  }
  for (; j < L; j++) {
    if (maxAbs <= PRED_FAST_LIMIT) {
      const p = x0 + j - 9;
      // (Only where L is not a multiple of 4 or the lag is below 14: never in G.729 itself.)
      const r = (((Math.imul(exc[p + 0]!, w0) + Math.imul(exc[p + 1]!, w1) + Math.imul(exc[p + 2]!, w2) + Math.imul(exc[p + 3]!, w3)
          + Math.imul(exc[p + 4]!, w4) + Math.imul(exc[p + 5]!, w5) + Math.imul(exc[p + 6]!, w6) + Math.imul(exc[p + 7]!, w7)
          + Math.imul(exc[p + 8]!, w8) + Math.imul(exc[p + 9]!, w9) + Math.imul(exc[p + 10]!, w10) + Math.imul(exc[p + 11]!, w11)
          + Math.imul(exc[p + 12]!, w12) + Math.imul(exc[p + 13]!, w13) + Math.imul(exc[p + 14]!, w14) + Math.imul(exc[p + 15]!, w15)
          + Math.imul(exc[p + 16]!, w16) + Math.imul(exc[p + 17]!, w17) + Math.imul(exc[p + 18]!, w18) + Math.imul(exc[p + 19]!, w19)) | 0) + 0x4000) >> 15;
      exc[off + j] = r;
      maxAbs |= Math.abs(r);
    } else maxAbs = predSlow(exc, off, x0, frac, c2Base, j, maxAbs);
  }
}

/** Output j of predLt3 with the saturating L_mac chain; returns maxAbs with the output's magnitude ORed in. */
function predSlow(exc: Int16Array, off: number, x0: number, frac: number, c2Base: number, j: number, maxAbs: number): number {
  const x1 = x0 + j;
  const x2 = x1 + 1;
  let s = 0;
  // The interpolation filter has no -32768 tap, so no product saturates; the sum can.
  for (let i = 0, k = 0; i < 10; i++, k += 3) {
    s += Math.imul(exc[x1 - i]!, inter3l[frac + k]!) * 2;
    if (s > MAX_32) s = MAX_32;
    else if (s < MIN_32) s = MIN_32;
    s += Math.imul(exc[x2 + i]!, inter3l[c2Base + k]!) * 2;
    if (s > MAX_32) s = MAX_32;
    else if (s < MIN_32) s = MIN_32;
  }
  s += 0x8000;
  if (s > MAX_32) s = MAX_32;
  const r = s >> 16;
  exc[off + j] = r;
  return maxAbs | Math.abs(r);
}

/** Lsf_lsp2: LSF (Q13, 0..pi) to LSP (cosine domain, Q15) by table interpolation. */
export function lsfToLsp(lsf: Int16Array, lsp: Int16Array): void {
  for (let i = 0; i < ORDER; i++) {
    // mult(lsf, 20861) cannot saturate (20861 != -32768); L_mult(slope, offset) neither (0 <= offset < 256).
    const freq = Math.imul(lsf[i]!, 20861) >> 15;
    let ind = freq >> 8;
    const offset = freq & 0xff;
    if (ind > 63) ind = 63;
    const L = Math.imul(slopeCos[ind]!, offset) * 2;
    const v = table2[ind]! + ((L >> 13) << 16 >> 16);
    lsp[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}

const f1 = new Int32Array(6);
const f2 = new Int32Array(6);

function sat(v: number): number {
  return v > MAX_32 ? MAX_32 : v < MIN_32 ? MIN_32 : v;
}

/** 2^28: while |f[p-2]|, |f[p-1]|, |f[p]| are below it, no operation of a lspPolynomial step can saturate. */
const POL_FAST = 0x10000000;

/**
 * Get_lsp_pol: coefficients (Q24) of F1(z) or F2(z) from every other LSP. Per step:
 * f[p] = L_sub(L_add(f[p], f[p-2]), L_shl(Mpy_32_16(f[p-1], lsp), 1)), all saturating.
 */
function lspPolynomial(lsp: Int16Array, start: number, f: Int32Array): void {
  f[0] = 16777216; // L_mult(4096, 2048): 1.0 in Q24
  f[1] = 0 - lsp[start]! * 1024; // L_msu(0, lsp, 512): cannot saturate
  let li = start + 2;
  for (let i = 2; i <= 5; i++) {
    const l = lsp[li]!;
    f[i] = f[i - 2]!;
    for (let p = i; p >= 2; p--) {
      const v = f[p - 1]!;
      const w = f[p]!;
      const u = f[p - 2]!;
      const hi = v >> 16;
      const lo = (v >> 1) & 0x7fff;
      if (v < POL_FAST && v > -POL_FAST && w < POL_FAST && w > -POL_FAST && u < POL_FAST && u > -POL_FAST) {
        // |hi| <= 2^12: the Mpy_32_16 product, its doubling and the sums stay below 2^31.
        f[p] = w + u - ((Math.imul(hi, l) + (Math.imul(lo, l) >> 15)) << 2);
        continue;
      }
      // Mpy_32_16(hi, lo, l) = L_mac(L_mult(hi, l), mult(lo, l), 1); lo >= 0 so mult() cannot saturate.
      const ph = Math.imul(hi, l);
      let t0 = sat((ph === 0x40000000 ? MAX_32 : ph * 2) + (Math.imul(lo, l) >> 15) * 2);
      t0 = sat(t0 * 2);
      f[p] = sat(sat(w + u) - t0);
    }
    f[1] = sat(f[1]! - l * 1024);
    li += 2;
  }
}

/** Lsp_Az: LSP (Q15) to LP coefficients a[0..10] (Q12) at a[aOff..]. */
export function lspToAz(lsp: Int16Array, a: Int16Array, aOff: number): void {
  lspPolynomial(lsp, 0, f1);
  lspPolynomial(lsp, 1, f2);
  for (let i = 5; i > 0; i--) {
    f1[i] = sat(f1[i]! + f1[i - 1]!);
    f2[i] = sat(f2[i]! - f2[i - 1]!);
  }
  a[aOff] = 4096;
  for (let i = 1, j = 10; i <= 5; i++, j--) {
    // extract_l(L_shr_r(L, 13)) = (L >> 13) + bit 12 of L, low 16 bits.
    const sum = sat(f1[i]! + f2[i]!);
    const dif = sat(f1[i]! - f2[i]!);
    a[aOff + i] = (sum >> 13) + ((sum >> 12) & 1);
    a[aOff + j] = (dif >> 13) + ((dif >> 12) & 1);
  }
}

const lspMid = new Int16Array(ORDER);

/** Int_qlpc: LP filters of both subframes (mid-point LSP for the first, new LSP for the second). */
export function interpolateLpc(lspOld: Int16Array, lspNew: Int16Array, az: Int16Array): void {
  // add(shr(new, 1), shr(old, 1)): two halves of 16-bit values cannot saturate.
  for (let i = 0; i < ORDER; i++) lspMid[i] = (lspNew[i]! >> 1) + (lspOld[i]! >> 1);
  lspToAz(lspMid, az, 0);
  lspToAz(lspNew, az, ORDER + 1);
}
