/**
 * Fixed-point basic operators of ITU-T G.729 (the ITU-T "basic operators" set: saturating
 * 16/32-bit arithmetic on Word16/Word32) and the Recommendation's 32-bit helpers
 * (L_Extract, Mpy_32_16, Log2, Pow2, Inv_sqrt).
 *
 * Values are plain JS numbers holding integers in the Word16 / Word32 ranges. Every
 * 16×16 product is below 2^31 in magnitude, so double arithmetic is exact; sums are
 * formed in double precision and then clamped, which is exactly saturation.
 *
 * The standard's global Overflow flag is not kept here: the decoder reads it only around its
 * synthesis filter, which keeps its own (dsp.ts SynthesisFilter), so these operators are pure
 * functions with no state between calls.
 */

import { tablog, tabpow, tabsqr } from './tables.js';

export const MAX_32 = 2147483647;
export const MIN_32 = -2147483648;

/** Saturate a 32-bit value to 16 bits (the reference `sature`). */
export function sature(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/** Saturate to the 32-bit range (what every 32-bit operator does on overflow). */
function sat32(x: number): number {
  return x > MAX_32 ? MAX_32 : x < MIN_32 ? MIN_32 : x;
}

export function add(a: number, b: number): number {
  const s = a + b;
  return s > 32767 ? 32767 : s < -32768 ? -32768 : s;
}

export function sub(a: number, b: number): number {
  const s = a - b;
  return s > 32767 ? 32767 : s < -32768 ? -32768 : s;
}

export function abs_s(a: number): number {
  return a === -32768 ? 32767 : a < 0 ? -a : a;
}

export function negate(a: number): number {
  return a === -32768 ? 32767 : -a;
}

export function shl(a: number, n: number): number {
  if (n < 0) return shr(a, -n);
  if (a === 0) return 0;
  const r = n > 15 ? Infinity * a : a * (1 << n);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

export function shr(a: number, n: number): number {
  if (n < 0) return shl(a, -n);
  if (n >= 15) return a < 0 ? -1 : 0;
  return a >> n;
}

/** Rounding right shift. */
export function shr_r(a: number, n: number): number {
  if (n > 15) return 0;
  let r = shr(a, n);
  if (n > 0 && (a & (1 << (n - 1))) !== 0) r++;
  return r;
}

export function mult(a: number, b: number): number {
  const p = (a * b) >> 15;
  if (p > 32767) return sature(p);
  return p;
}

export function mult_r(a: number, b: number): number {
  return sature((a * b + 0x4000) >> 15);
}

export function L_mult(a: number, b: number): number {
  const p = a * b;
  return p === 0x40000000 ? MAX_32 : p * 2;
}

export function L_add(a: number, b: number): number {
  return sat32(a + b);
}

export function L_sub(a: number, b: number): number {
  return sat32(a - b);
}

export function L_mac(acc: number, a: number, b: number): number {
  return L_add(acc, L_mult(a, b));
}

export function L_msu(acc: number, a: number, b: number): number {
  return L_sub(acc, L_mult(a, b));
}

export function extract_h(L: number): number {
  return L >> 16;
}

export function extract_l(L: number): number {
  return (L << 16) >> 16;
}

export function L_deposit_h(a: number): number {
  return a * 65536;
}

/** round(): add 0x8000 with saturation and take the high word. */
export function round(L: number): number {
  return L_add(L, 0x8000) >> 16;
}

export function L_shl(L: number, n: number): number {
  if (n <= 0) return L_shr(L, -n);
  if (L === 0) return 0;
  return sat32(n > 30 ? Infinity * L : L * (1 << n));
}

export function L_shr(L: number, n: number): number {
  if (n < 0) return L_shl(L, -n);
  if (n >= 31) return L < 0 ? -1 : 0;
  return L >> n;
}

/** Rounding 32-bit right shift. */
export function L_shr_r(L: number, n: number): number {
  if (n > 31) return 0;
  let r = L_shr(L, n);
  if (n > 0 && (L & (1 << (n - 1))) !== 0) r++;
  return r;
}

export function norm_s(a: number): number {
  if (a === 0) return 0;
  if (a === -1) return 15;
  if (a < 0) a = ~a;
  return Math.clz32(a) - 17;
}

export function norm_l(L: number): number {
  if (L === 0) return 0;
  if (L === -1) return 31;
  if (L < 0) L = ~L;
  return Math.clz32(L) - 1;
}

/**
 * Fractional division a/b in Q15 for 0 <= a <= b, b > 0 (the reference aborts otherwise;
 * here out-of-domain inputs give a saturated result so corrupt input never throws).
 */
export function div_s(a: number, b: number): number {
  if (a <= 0 || b <= 0) return 0;
  if (a >= b) return 32767;
  return ((a * 32768) / b) | 0;
}

/** Mpy_32_16: (hi,lo) double-precision number times a Word16, as the standard forms it. */
export function Mpy_32_16(hi: number, lo: number, n: number): number {
  return L_mac(L_mult(hi, n), mult(lo, n), 1);
}

/** Mpy_32: product of two double-precision numbers. */
export function Mpy_32(hi1: number, lo1: number, hi2: number, lo2: number): number {
  let L = L_mult(hi1, hi2);
  L = L_mac(L, mult(hi1, lo2), 1);
  return L_mac(L, mult(lo1, hi2), 1);
}

/** L_Comp: hi << 16 + lo << 1. */
export function L_Comp(hi: number, lo: number): number {
  return L_add(hi * 65536, lo * 2);
}

/** Results of {@link log2}: integer part and Q15 fraction (kept here to avoid allocation). */
export const log2Out = { exponent: 0, fraction: 0 };

/** Log2 of a positive Word32 (the standard's table interpolation). */
export function log2(L: number): void {
  if (L <= 0) {
    log2Out.exponent = 0;
    log2Out.fraction = 0;
    return;
  }
  const exp = norm_l(L);
  L = L_shl(L, exp);
  log2Out.exponent = 30 - exp;
  L = L >> 9;
  const i = (L >> 16) - 32;
  const a = (L >> 1) & 0x7fff;
  let y = tablog[i]! * 65536;
  const tmp = tablog[i]! - tablog[i + 1]!;
  y = L_msu(y, tmp, a);
  log2Out.fraction = y >> 16;
}

/** Pow2(exponent, fraction): 2^(exponent + fraction) with table interpolation. */
export function pow2(exponent: number, fraction: number): number {
  let L = L_mult(fraction, 32);
  const i = L >> 16;
  L = L >> 1;
  const a = L & 0x7fff;
  L = tabpow[i]! * 65536;
  const tmp = tabpow[i]! - tabpow[i + 1]!;
  L = L_msu(L, tmp, a);
  return L_shr_r(L, 30 - exponent);
}

/** Inv_sqrt: 1/sqrt(L) in Q30 for a Q0 input. */
export function invSqrt(L: number): number {
  if (L <= 0) return 0x3fffffff;
  let exp = norm_l(L);
  L = L_shl(L, exp);
  exp = 30 - exp;
  if ((exp & 1) === 0) L = L >> 1;
  exp = (exp >> 1) + 1;
  L = L >> 9;
  const i = (L >> 16) - 16;
  L = L >> 1;
  const a = L & 0x7fff;
  let y = tabsqr[i]! * 65536;
  const tmp = tabsqr[i]! - tabsqr[i + 1]!;
  y = L_msu(y, tmp, a);
  return L_shr(y, exp);
}

/** L_mac as one expression without nested calls, for the LSP loop. Same value as L_mac. */
export function mac(acc: number, a: number, b: number): number {
  const q = Math.imul(a, b);
  const s = acc + (q === 0x40000000 ? 2147483647 : q * 2);
  return s > 2147483647 ? 2147483647 : s < -2147483648 ? -2147483648 : s;
}
