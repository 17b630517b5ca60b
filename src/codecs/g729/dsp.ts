/**
 * Filters and LP-parameter routines shared by the G.729 decoders: synthesis filter 1/A(z),
 * inverse filter A(z), LP weighting, fractional-delay adaptive codebook, LSF→LSP and
 * LSP→LP conversion. Arrays are addressed as (array, offset) so callers can work inside
 * history buffers without copies; the order of the fixed-point operations is the
 * Recommendation's, so results are bit-exact.
 */
import { L_add, L_msu, L_mult, L_shl, L_shr_r, L_sub, Mpy_32_16, add, mult, round, setOverflow, shr } from './basicops.js';
import { inter3l, slopeCos, table2 } from './tables.js';

export const M = 10;
export const MP1 = 11;
export const L_FRAME = 80;
export const L_SUBFR = 40;
export const PIT_MIN = 20;
export const PIT_MAX = 143;
export const L_INTERPOL = 11;

const MAX_32 = 2147483647;
const MIN_32 = -2147483648;
/** A |sample| bound under which the 20-tap interpolation sum (and its rounding) cannot saturate: 2 * 18000 * 59398 + 2^15 < 2^31. */
const PRED_FAST_LIMIT = 18000;

/** L_msu step of the synthesis filter; sets synOvf on saturation. */
let synOvf = 0;

function msuStep(s: number, a: number, y: number): number {
  const p = Math.imul(a, y);
  s -= p === 0x40000000 ? MAX_32 : p * 2;
  if (p === 0x40000000) synOvf = 1;
  if (s > MAX_32) {
    synOvf = 1;
    return MAX_32;
  }
  if (s < MIN_32) {
    synOvf = 1;
    return MIN_32;
  }
  return s;
}

/**
 * Synthesis filter 1/A(z) (Syn_filt). Raises the Overflow flag when any 32-bit operation
 * saturates — the decoder uses that to rescale its excitation. Input and output may alias.
 * The filter memory is kept in locals (y1 = most recent output).
 */
export function synFilt(
  a: Int16Array, aOff: number,
  x: Int16Array, xOff: number,
  y: Int16Array, yOff: number,
  lg: number, mem: Int16Array, update: boolean,
): void {
  const a0 = a[aOff]!;
  const a1 = a[aOff + 1]!, a2 = a[aOff + 2]!, a3 = a[aOff + 3]!, a4 = a[aOff + 4]!, a5 = a[aOff + 5]!;
  const a6 = a[aOff + 6]!, a7 = a[aOff + 7]!, a8 = a[aOff + 8]!, a9 = a[aOff + 9]!, a10 = a[aOff + 10]!;
  let y1 = mem[9]!, y2 = mem[8]!, y3 = mem[7]!, y4 = mem[6]!, y5 = mem[5]!;
  let y6 = mem[4]!, y7 = mem[3]!, y8 = mem[2]!, y9 = mem[1]!, y10 = mem[0]!;
  synOvf = 0;
  const absSum = Math.abs(a0) + Math.abs(a1) + Math.abs(a2) + Math.abs(a3) + Math.abs(a4) + Math.abs(a5)
    + Math.abs(a6) + Math.abs(a7) + Math.abs(a8) + Math.abs(a9) + Math.abs(a10);
  if (absSum <= 32767) {
    // Fast path: with every |x|, |y| <= 2^15 no partial sum of the L_mac/L_msu chain can leave
    // the 32-bit range (2 * 2^15 * absSum < 2^31), so only the final shift and rounding can saturate.
    for (let i = 0; i < lg; i++) {
      const acc = Math.imul(x[xOff + i]!, a0) - Math.imul(a1, y1) - Math.imul(a2, y2) - Math.imul(a3, y3)
        - Math.imul(a4, y4) - Math.imul(a5, y5) - Math.imul(a6, y6) - Math.imul(a7, y7) - Math.imul(a8, y8)
        - Math.imul(a9, y9) - Math.imul(a10, y10);
      let s = acc * 16;
      if (s > MAX_32) {
        s = MAX_32;
        synOvf = 1;
      } else if (s < MIN_32) {
        s = MIN_32;
        synOvf = 1;
      }
      s += 0x8000;
      if (s > MAX_32) {
        s = MAX_32;
        synOvf = 1;
      }
      y10 = y9; y9 = y8; y8 = y7; y7 = y6; y6 = y5; y5 = y4; y4 = y3; y3 = y2; y2 = y1;
      y1 = s >> 16;
      y[yOff + i] = y1;
    }
    if (synOvf) setOverflow(1);
    if (update) for (let i = 0; i < M; i++) mem[i] = y[yOff + lg - M + i]!;
    return;
  }
  for (let i = 0; i < lg; i++) {
    const p = Math.imul(x[xOff + i]!, a0);
    let s: number;
    if (p === 0x40000000) {
      synOvf = 1;
      s = MAX_32;
    } else s = p * 2;
    s = msuStep(s, a1, y1);
    s = msuStep(s, a2, y2);
    s = msuStep(s, a3, y3);
    s = msuStep(s, a4, y4);
    s = msuStep(s, a5, y5);
    s = msuStep(s, a6, y6);
    s = msuStep(s, a7, y7);
    s = msuStep(s, a8, y8);
    s = msuStep(s, a9, y9);
    s = msuStep(s, a10, y10);
    s *= 8;
    if (s > MAX_32) {
      s = MAX_32;
      synOvf = 1;
    } else if (s < MIN_32) {
      s = MIN_32;
      synOvf = 1;
    }
    s += 0x8000;
    if (s > MAX_32) {
      s = MAX_32;
      synOvf = 1;
    }
    y10 = y9; y9 = y8; y8 = y7; y7 = y6; y6 = y5; y5 = y4; y4 = y3; y3 = y2; y2 = y1;
    y1 = s >> 16;
    // Writing in place is safe: x[xOff + i] has been read already.
    y[yOff + i] = y1;
  }
  if (synOvf) setOverflow(1);
  if (update) for (let i = 0; i < M; i++) mem[i] = y[yOff + lg - M + i]!;
}

/**
 * Saturating dot product: acc = L_mac(acc, x[i], y[i]) for i = 0..n-1 (the Overflow flag
 * is not touched; nobody reads it after these sums).
 */
export function dotProduct(acc: number, x: Int16Array, xOff: number, y: Int16Array, yOff: number, n: number): number {
  let s = acc;
  for (let i = 0; i < n; i++) {
    const p = Math.imul(x[xOff + i]!, y[yOff + i]!);
    s += p === 0x40000000 ? MAX_32 : p * 2;
    if (s > MAX_32) s = MAX_32;
    else if (s < MIN_32) s = MIN_32;
  }
  return s;
}

/** Inverse filter A(z) (Residu): y[i] = sum a[j] x[i-j]; x needs M samples of history. */
export function residu(a: Int16Array, aOff: number, x: Int16Array, xOff: number, y: Int16Array, yOff: number, lg: number): void {
  let absSum = 0;
  for (let j = 0; j <= M; j++) absSum += Math.abs(a[aOff + j]!);
  if (absSum <= 32767) {
    // As in synFilt: with |x| <= 2^15 no partial sum can saturate; only the shift and rounding can.
    const a0 = a[aOff]!, a1 = a[aOff + 1]!, a2 = a[aOff + 2]!, a3 = a[aOff + 3]!, a4 = a[aOff + 4]!, a5 = a[aOff + 5]!;
    const a6 = a[aOff + 6]!, a7 = a[aOff + 7]!, a8 = a[aOff + 8]!, a9 = a[aOff + 9]!, a10 = a[aOff + 10]!;
    for (let i = 0; i < lg; i++) {
      const k = xOff + i;
      const acc = Math.imul(x[k]!, a0) + Math.imul(a1, x[k - 1]!) + Math.imul(a2, x[k - 2]!) + Math.imul(a3, x[k - 3]!)
        + Math.imul(a4, x[k - 4]!) + Math.imul(a5, x[k - 5]!) + Math.imul(a6, x[k - 6]!) + Math.imul(a7, x[k - 7]!)
        + Math.imul(a8, x[k - 8]!) + Math.imul(a9, x[k - 9]!) + Math.imul(a10, x[k - 10]!);
      let s = acc * 16;
      if (s > MAX_32) s = MAX_32;
      else if (s < MIN_32) s = MIN_32;
      s += 0x8000;
      if (s > MAX_32) s = MAX_32;
      y[yOff + i] = s >> 16;
    }
    return;
  }
  for (let i = 0; i < lg; i++) {
    let s = 0;
    for (let j = 0; j <= M; j++) {
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
  }
}

/** Weight_Az: ap[i] = a[i] * gamma^i. */
export function weightAz(a: Int16Array, aOff: number, gamma: number, ap: Int16Array): void {
  ap[0] = a[aOff]!;
  let fac = gamma;
  for (let i = 1; i < M; i++) {
    ap[i] = round(L_mult(a[aOff + i]!, fac));
    fac = round(L_mult(fac, gamma));
  }
  ap[M] = round(L_mult(a[aOff + M]!, fac));
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
  // While every sample read is below PRED_FAST_LIMIT in magnitude no partial sum can
  // saturate (the 20 taps sum to < 59400 in absolute value), so plain int32 sums are exact.
  let maxAbs = 0;
  for (let k = x0 - 9; k < off; k++) {
    const v = exc[k]!;
    if (v > maxAbs) maxAbs = v;
    else if (-v > maxAbs) maxAbs = -v;
  }
  for (let j = 0; j < L; j++) {
    const x1 = x0++;
    const x2 = x0;
    let r: number;
    if (maxAbs <= PRED_FAST_LIMIT) {
      let acc = 0;
      for (let i = 0, k = 0; i < 10; i++, k += 3) {
        acc += Math.imul(exc[x1 - i]!, inter3l[frac + k]!) + Math.imul(exc[x2 + i]!, inter3l[c2Base + k]!);
      }
      r = (acc * 2 + 0x8000) >> 16;
    } else {
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
      r = s >> 16;
    }
    exc[off + j] = r;
    // Later outputs may read this one (lags shorter than the subframe).
    if (r > maxAbs) maxAbs = r;
    else if (-r > maxAbs) maxAbs = -r;
  }
}

/** Lsf_lsp2: LSF (Q13, 0..pi) to LSP (cosine domain, Q15) by table interpolation. */
export function lsfToLsp(lsf: Int16Array, lsp: Int16Array): void {
  for (let i = 0; i < M; i++) {
    const freq = mult(lsf[i]!, 20861);
    let ind = freq >> 8;
    const offset = freq & 0xff;
    if (ind > 63) ind = 63;
    const L = L_mult(slopeCos[ind]!, offset);
    lsp[i] = add(table2[ind]!, (L >> 13) << 16 >> 16);
  }
}

const f1 = new Float64Array(6);
const f2 = new Float64Array(6);

/** Get_lsp_pol: coefficients (Q24) of F1(z) or F2(z) from every other LSP. */
function lspPolynomial(lsp: Int16Array, start: number, f: Float64Array): void {
  f[0] = L_mult(4096, 2048);
  f[1] = L_msu(0, lsp[start]!, 512);
  let li = start + 2;
  for (let i = 2; i <= 5; i++) {
    const l = lsp[li]!;
    f[i] = f[i - 2]!;
    for (let p = i; p >= 2; p--) {
      const v = f[p - 1]!;
      const hi = v >> 16;
      const lo = (v >> 1) - hi * 32768;
      let t0 = Mpy_32_16(hi, lo, l);
      t0 = L_shl(t0, 1);
      f[p] = L_add(f[p]!, f[p - 2]!);
      f[p] = L_sub(f[p]!, t0);
    }
    f[1] = L_msu(f[1]!, l, 512);
    li += 2;
  }
}

/** Lsp_Az: LSP (Q15) to LP coefficients a[0..10] (Q12) at a[aOff..]. */
export function lspToAz(lsp: Int16Array, a: Int16Array, aOff: number): void {
  lspPolynomial(lsp, 0, f1);
  lspPolynomial(lsp, 1, f2);
  for (let i = 5; i > 0; i--) {
    f1[i] = L_add(f1[i]!, f1[i - 1]!);
    f2[i] = L_sub(f2[i]!, f2[i - 1]!);
  }
  a[aOff] = 4096;
  for (let i = 1, j = 10; i <= 5; i++, j--) {
    a[aOff + i] = (L_shr_r(L_add(f1[i]!, f2[i]!), 13) << 16) >> 16;
    a[aOff + j] = (L_shr_r(L_sub(f1[i]!, f2[i]!), 13) << 16) >> 16;
  }
}

const lspMid = new Int16Array(M);

/** Int_qlpc: LP filters of both subframes (mid-point LSP for the first, new LSP for the second). */
export function interpolateLpc(lspOld: Int16Array, lspNew: Int16Array, az: Int16Array): void {
  for (let i = 0; i < M; i++) lspMid[i] = add(shr(lspNew[i]!, 1), shr(lspOld[i]!, 1));
  lspToAz(lspMid, az, 0);
  lspToAz(lspNew, az, MP1);
}
