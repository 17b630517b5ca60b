/**
 * Filters and LP-parameter routines shared by the G.729 decoders: synthesis filter 1/A(z),
 * inverse filter A(z), LP weighting, fractional-delay adaptive codebook, LSF→LSP and
 * LSP→LP conversion. Arrays are addressed as (array, offset) so callers can work inside
 * history buffers without copies; the order of the fixed-point operations is the
 * Recommendation's, so results are bit-exact.
 */
import { L_add, L_mac, L_msu, L_mult, L_shl, L_shr_r, L_sub, Mpy_32_16, add, mult, round, setOverflow, shr } from './basicops.js';
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

const synScratch = new Int16Array(M + 128);

/**
 * Synthesis filter 1/A(z) (Syn_filt). Raises the Overflow flag when any 32-bit operation
 * saturates — the decoder uses that to rescale its excitation. Input and output may alias.
 */
export function synFilt(
  a: Int16Array, aOff: number,
  x: Int16Array, xOff: number,
  y: Int16Array, yOff: number,
  lg: number, mem: Int16Array, update: boolean,
): void {
  const yy = synScratch;
  for (let i = 0; i < M; i++) yy[i] = mem[i]!;
  let ovf = 0;
  const a0 = a[aOff]!;
  for (let i = 0; i < lg; i++) {
    let p = x[xOff + i]! * a0;
    let s: number;
    if (p === 0x40000000) {
      ovf = 1;
      s = MAX_32;
    } else s = p * 2;
    for (let j = 1; j <= M; j++) {
      p = a[aOff + j]! * yy[i + M - j]!;
      let prod: number;
      if (p === 0x40000000) {
        ovf = 1;
        prod = MAX_32;
      } else prod = p * 2;
      s -= prod;
      if (s > MAX_32) {
        s = MAX_32;
        ovf = 1;
      } else if (s < MIN_32) {
        s = MIN_32;
        ovf = 1;
      }
    }
    s *= 8;
    if (s > MAX_32) {
      s = MAX_32;
      ovf = 1;
    } else if (s < MIN_32) {
      s = MIN_32;
      ovf = 1;
    }
    s += 0x8000;
    if (s > MAX_32) {
      s = MAX_32;
      ovf = 1;
    }
    yy[i + M] = s >> 16;
  }
  if (ovf) setOverflow(1);
  for (let i = 0; i < lg; i++) y[yOff + i] = yy[i + M]!;
  if (update) for (let i = 0; i < M; i++) mem[i] = y[yOff + lg - M + i]!;
}

/** Inverse filter A(z) (Residu): y[i] = sum a[j] x[i-j]; x needs M samples of history. */
export function residu(a: Int16Array, aOff: number, x: Int16Array, xOff: number, y: Int16Array, yOff: number, lg: number): void {
  for (let i = 0; i < lg; i++) {
    let s = L_mult(x[xOff + i]!, a[aOff]!);
    for (let j = 1; j <= M; j++) s = L_mac(s, a[aOff + j]!, x[xOff + i - j]!);
    s = L_shl(s, 3);
    y[yOff + i] = round(s);
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
  for (let j = 0; j < L; j++) {
    const x1 = x0++;
    const x2 = x0;
    let s = 0;
    for (let i = 0, k = 0; i < 10; i++, k += 3) {
      s = L_mac(s, exc[x1 - i]!, inter3l[frac + k]!);
      s = L_mac(s, exc[x2 + i]!, inter3l[c2Base + k]!);
    }
    exc[off + j] = round(s);
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
