/**
 * LSP dequantization: two-stage VQ with 4th-order switched MA prediction, the
 * rearrangement/stability rules, and the frame-erasure path (reuse the last LSF and
 * keep the predictor memory consistent). Also the Annex B SID LSF decoder.
 */
import { L_deposit_h, L_mac, L_msu, L_mult, L_shl, mac, add as add16, sub as sub16 } from './basicops.js';
import { lsfToLsp } from './dsp.js';
import { fg, fgSum, fgSumInv, freqPrevReset, lspcb1, lspcb2, noiseFgSum, ptrTab1, ptrTab2 } from './tables.js';

// Saturating 16-bit add / sub, bound locally (no import-cell load per call).
const add = add16;
const sub = sub16;

// Codec constants as local (non-exported) bindings: imported or exported module bindings are
// read through a cell with a hole check on every use, even in hot loops; local constants fold.
const M = 10;

const MA_NP = 4;
const NC = 5;
const GAP1 = 10;
const GAP2 = 5;
const GAP3 = 321;
const L_LIMIT = 40;
const M_LIMIT = 25681;

/** Annex B noise MA predictor: mode 0 = fg[0], mode 1 = 0.6 fg[0] + 0.4 fg[1] (Init_lsfq_noise). */
const noiseFg = new Int16Array(2 * MA_NP * M);
for (let i = 0; i < MA_NP * M; i++) {
  noiseFg[i] = fg[i]!;
  let acc = L_mult(fg[i]!, 19660);
  acc = L_mac(acc, fg[MA_NP * M + i]!, 13107);
  noiseFg[MA_NP * M + i] = acc >> 16;
}

export class LspDecoderState {
  /** Past quantizer outputs l^(m-k), k = 1..4, row-major [k][M] (Q13). */
  readonly freqPrev = new Int16Array(MA_NP * M);
  /** LSF of the last good frame (Q13) and its MA mode, for erasures. */
  readonly prevLsf = new Int16Array(M);
  prevMa = 0;

  reset(): void {
    for (let k = 0; k < MA_NP; k++) this.freqPrev.set(freqPrevReset, k * M);
    this.prevLsf.set(freqPrevReset);
    this.prevMa = 0;
  }
}

function expand(buf: Int16Array, gap: number): void {
  for (let j = 1; j < M; j++) {
    const diff = sub(buf[j - 1]!, buf[j]!);
    const tmp = add(diff, gap) >> 1;
    if (tmp > 0) {
      buf[j - 1] = sub(buf[j - 1]!, tmp);
      buf[j] = add(buf[j]!, tmp);
    }
  }
}

/** Lsp_prev_compose: lsf = fg_sum * ele + sum_k fg[k] * freqPrev[k]. */
function compose(ele: Int16Array, lsf: Int16Array, pred: Int16Array, predOff: number, sum: Int16Array, sumOff: number, freqPrev: Int16Array): void {
  for (let j = 0; j < M; j++) {
    // L_mult then 4 L_mac, each product doubled and the running sum saturated step by step.
    const e = ele[j]!, w = sum[sumOff + j]!;
    const f0 = freqPrev[j]!, p0 = pred[predOff + j]!;
    const f1 = freqPrev[M + j]!, p1 = pred[predOff + M + j]!;
    const f2 = freqPrev[2 * M + j]!, p2 = pred[predOff + 2 * M + j]!;
    const f3 = freqPrev[3 * M + j]!, p3 = pred[predOff + 3 * M + j]!;
    const q0 = Math.imul(e, w), q1 = Math.imul(f0, p0), q2 = Math.imul(f1, p1), q3 = Math.imul(f2, p2), q4 = Math.imul(f3, p3);
    let acc: number;
    if ((Math.abs(q0) + Math.abs(q1) + Math.abs(q2) + Math.abs(q3) + Math.abs(q4)) * 2 <= 2147483647) {
      // No partial sum (nor product) can reach the 32-bit limits: the plain sum is exact.
      acc = (q0 + q1 + q2 + q3 + q4) * 2;
    } else {
      acc = mac(0, e, w);
      acc = mac(acc, f0, p0);
      acc = mac(acc, f1, p1);
      acc = mac(acc, f2, p2);
      acc = mac(acc, f3, p3);
    }
    lsf[j] = acc >> 16;
  }
}

function pushPrev(ele: Int16Array, freqPrev: Int16Array): void {
  // Rows move up by one (from the last, as they overlap); a plain loop is cheaper than copyWithin here.
  for (let j = (MA_NP - 1) * M - 1; j >= 0; j--) freqPrev[j + M] = freqPrev[j]!;
  for (let j = 0; j < M; j++) freqPrev[j] = ele[j]!;
}

/** Lsp_stability: order, minimum first value, minimum spacing, maximum last value. */
function stabilize(buf: Int16Array): void {
  for (let j = 0; j < M - 1; j++) {
    if (buf[j + 1]! - buf[j]! < 0) {
      const tmp = buf[j + 1]!;
      buf[j + 1] = buf[j]!;
      buf[j] = tmp;
    }
  }
  if (buf[0]! < L_LIMIT) buf[0] = L_LIMIT;
  for (let j = 0; j < M - 1; j++) {
    if (buf[j + 1]! - buf[j]! < GAP3) buf[j + 1] = add(buf[j]!, GAP3);
  }
  if (buf[M - 1]! > M_LIMIT) buf[M - 1] = M_LIMIT;
}

const ele = new Int16Array(M);
const lsf = new Int16Array(M);

/** D_lsp: decode the LSP vector (Q15, cosine domain) of a frame from its two LSP indices. */
export function decodeLsp(st: LspDecoderState, prm0: number, prm1: number, erased: boolean, lspOut: Int16Array): void {
  if (!erased) {
    const mode = (prm0 >> 7) & 1;
    const code0 = prm0 & 127;
    const code1 = (prm1 >> 5) & 31;
    const code2 = prm1 & 31;
    for (let j = 0; j < NC; j++) ele[j] = add(lspcb1[code0 * M + j]!, lspcb2[code1 * M + j]!);
    for (let j = NC; j < M; j++) ele[j] = add(lspcb1[code0 * M + j]!, lspcb2[code2 * M + j]!);
    expand(ele, GAP1);
    expand(ele, GAP2);
    compose(ele, lsf, fg, mode * MA_NP * M, fgSum, mode * M, st.freqPrev);
    pushPrev(ele, st.freqPrev);
    stabilize(lsf);
    for (let j = 0; j < M; j++) st.prevLsf[j] = lsf[j]!;
    st.prevMa = mode;
  } else {
    lsf.set(st.prevLsf);
    // Recover the quantizer output that would have produced the repeated LSF (Lsp_prev_extract).
    const predOff = st.prevMa * MA_NP * M;
    for (let j = 0; j < M; j++) {
      let L = L_deposit_h(st.prevLsf[j]!);
      for (let k = 0; k < MA_NP; k++) L = L_msu(L, st.freqPrev[k * M + j]!, fg[predOff + k * M + j]!);
      const temp = L >> 16;
      L = L_mult(temp, fgSumInv[st.prevMa * M + j]!);
      ele[j] = L_shl(L, 3) >> 16;
    }
    pushPrev(ele, st.freqPrev);
  }
  lsfToLsp(lsf, lspOut);
}

/**
 * Annex B SID LSF decoding (sid_lsfq_decode) into lspOut (Q15); updates the given
 * predictor memory (the decoder's freqPrev) as the standard does.
 */
export function decodeSidLsp(mode: number, idx1: number, idx2: number, freqPrev: Int16Array, lspOut: Int16Array): void {
  const c1 = ptrTab1[idx1]! * M;
  const c2lo = ptrTab2[idx2]! * M;
  const c2hi = ptrTab2[16 + idx2]! * M;
  for (let i = 0; i < M; i++) ele[i] = lspcb1[c1 + i]!;
  for (let i = 0; i < M / 2; i++) ele[i] = add(ele[i]!, lspcb2[c2lo + i]!);
  for (let i = M / 2; i < M; i++) ele[i] = add(ele[i]!, lspcb2[c2hi + i]!);
  for (let j = 1; j < M; j++) {
    let acc = L_mult(ele[j - 1]!, 16384);
    acc = L_mac(acc, ele[j]!, -16384);
    acc = L_mac(acc, 10, 16384);
    const k = acc >> 16;
    if (k > 0) {
      ele[j - 1] = sub(ele[j - 1]!, k);
      ele[j] = add(ele[j]!, k);
    }
  }
  compose(ele, lsf, noiseFg, mode * MA_NP * M, noiseFgSum, mode * M, freqPrev);
  pushPrev(ele, freqPrev);
  stabilize(lsf);
  lsfToLsp(lsf, lspOut);
}
