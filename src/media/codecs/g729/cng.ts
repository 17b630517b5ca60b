/**
 * G.729 Annex B decoder side: SID frame decoding (LSF and energy) and comfort noise
 * generation for SID and untransmitted frames (Dec_cng, Calc_exc_rand, Qua_Sidgain).
 */
import {
  L_mac, L_mult, L_shl, L_shr, L_sub, Mpy_32_16, abs_s, add, invSqrt, log2, log2Out, mult, mult_r,
  negate, norm_l, norm_s, shl, shr, shr_r, sub,
} from './basicops.js';
import { interpolateLpc, predLt3 } from './dsp.js';
import { nextRandom } from './excitation.js';
import { decodeSidLsp } from './lsp.js';
import { fact, tabSidgain } from './tables.js';

// Codec constants as local (non-exported) bindings: imported or exported module bindings are
// read through a cell with a hole check on every use, even in hot loops; local constants fold.
const L_FRAME = 80;
const L_SUBFR = 40;
const M = 10;

const A_GAIN0 = 28672;
const A_GAIN1 = 4096;
const FRAC1 = 19043;
const K0 = 24576;
const G_MAX = 5000;
/** Seed of the comfort-noise generator, reloaded at every active frame. */
export const INIT_SEED = 11111;

const LSP_SID_RESET = [31441, 27566, 21458, 13612, 4663, -4663, -13612, -21458, -27566, -31441];

export class CngState {
  curGain = 0;
  sidGain = 0;
  readonly lspSid = new Int16Array(M);
  seed = INIT_SEED;

  reset(): void {
    this.curGain = 0;
    this.sidGain = tabSidgain[0]!;
    this.lspSid.set(LSP_SID_RESET);
    this.seed = INIT_SEED;
  }
}

/** Quant_Energy: SID gain index of an energy L_x * 2^-sh. */
function quantEnergy(Lx: number, sh: number): number {
  log2(Lx);
  let eTmp = shl(sub(log2Out.exponent, sh), 10);
  eTmp = add(eTmp, mult_r(log2Out.fraction, 1024));
  if (sub(eTmp, -2721) <= 0) return 0;
  if (sub(eTmp, 22111) > 0) return 31;
  if (sub(eTmp, 4762) <= 0) {
    eTmp = add(eTmp, 3401);
    let index = mult(eTmp, 24);
    if (index < 1) index = 1;
    return index;
  }
  eTmp = sub(eTmp, 340);
  let index = sub(shr(mult(eTmp, 193), 2), 1);
  if (index < 6) index = 6;
  return index;
}

/** Qua_Sidgain for the decoder's single saved energy (nb_ener = 0). */
function sidGainIndexFromSaved(sidSav: number, shSidSav: number): number {
  const L = L_shl(sidSav, shSidSav);
  const hi = L >> 16;
  const lo = (L >> 1) - hi * 32768;
  const Lx = Mpy_32_16(hi, lo, fact[0]!);
  return quantEnergy(Lx, 0);
}

function gauss(st: CngState): number {
  let acc = 0;
  for (let i = 0; i < 12; i++) {
    st.seed = nextRandom(st.seed);
    acc += st.seed;
  }
  return ((acc >> 7) << 16) >> 16;
}

function nextSeed(st: CngState): number {
  st.seed = nextRandom(st.seed);
  return st.seed;
}

function sqrtQ(num: number): number {
  let rez = 0;
  let exp = 0x4000;
  for (let i = 0; i < 14; i++) {
    const t = add(rez, exp);
    const acc = L_mult(t, t);
    if (L_sub(num, acc) >= 0) rez = add(rez, exp);
    exp = shr(exp, 1);
  }
  return rez;
}

const excg = new Int16Array(L_SUBFR);
const excs = new Int16Array(L_SUBFR);
const pos = new Int32Array(4);
const sign = new Int32Array(4);

/** Calc_exc_rand: comfort noise excitation of one frame into exc[off..off+80). */
function randomExcitation(st: CngState, gain: number, exc: Int16Array, off: number): void {
  if (gain === 0) {
    exc.fill(0, off, off + L_FRAME);
    return;
  }
  for (let sf = 0; sf < L_FRAME; sf += L_SUBFR) {
    const cur = off + sf;
    let temp1 = nextSeed(st);
    let frac = sub(temp1 & 3, 1);
    if (frac === 2) frac = 0;
    temp1 = shr(temp1, 2);
    const t0 = add(temp1 & 0x3f, 40);
    temp1 = shr(temp1, 6);
    let temp2 = temp1 & 7;
    pos[0] = 5 * temp2;
    temp1 = shr(temp1, 3);
    sign[0] = temp1 & 1;
    temp1 = shr(temp1, 1);
    temp2 = temp1 & 7;
    pos[1] = 5 * temp2 + 1;
    temp1 = shr(temp1, 3);
    sign[1] = temp1 & 1;
    temp1 = nextSeed(st);
    temp2 = temp1 & 7;
    pos[2] = 5 * temp2 + 2;
    temp1 = shr(temp1, 3);
    sign[2] = temp1 & 1;
    temp1 = shr(temp1, 1);
    temp2 = temp1 & 0xf;
    pos[3] = (temp2 & 1) + 3 + 5 * (shr(temp2, 1) & 7);
    temp1 = shr(temp1, 4);
    sign[3] = temp1 & 1;
    const gp = nextSeed(st) & 0x1fff;
    const gp2 = shl(gp, 1);

    // Gaussian excitation scaled to the target gain.
    let acc = 0;
    for (let i = 0; i < L_SUBFR; i++) {
      const g = gauss(st);
      acc = L_mac(acc, g, g);
      excg[i] = g;
    }
    acc = invSqrt(L_shr(acc, 1));
    let hi = acc >> 16;
    let lo = (acc >> 1) - hi * 32768;
    temp1 = mult_r(gain, FRAC1);
    temp1 = add(gain, temp1);
    acc = Mpy_32_16(hi, lo, temp1);
    let sh = norm_l(acc);
    temp1 = L_shl(acc, sh) >> 16;
    sh = sub(sh, 14);
    for (let i = 0; i < L_SUBFR; i++) excg[i] = shr_r(mult_r(excg[i]!, temp1), sh);

    // Add the random adaptive-codebook contribution.
    predLt3(exc, cur, t0, frac, L_SUBFR);
    let max = 0;
    for (let i = 0; i < L_SUBFR; i++) {
      let v = mult_r(exc[cur + i]!, gp2);
      v = add(v, excg[i]!);
      exc[cur + i] = v;
      v = abs_s(v);
      if (v > max) max = v;
    }
    if (max === 0) sh = 0;
    else {
      sh = sub(3, norm_s(max));
      if (sh <= 0) sh = 0;
    }
    for (let i = 0; i < L_SUBFR; i++) excs[i] = shr(exc[cur + i]!, sh);

    // Pulse amplitude g solving the energy equation 4x^2 + 2bx + c = 0.
    let Lener = 0;
    for (let i = 0; i < L_SUBFR; i++) Lener = L_mac(Lener, excs[i]!, excs[i]!);
    let interExc = 0;
    for (let i = 0; i < 4; i++) {
      const v = excs[pos[i]!]!;
      interExc = sign[i] === 0 ? sub(interExc, v) : add(interExc, v);
    }
    acc = L_mult(gain, L_SUBFR);
    acc = L_shr(acc, 6);
    temp1 = (acc << 16) >> 16;
    const Lk = L_mult(gain, temp1);
    temp1 = add(1, shl(sh, 1));
    acc = L_shr(Lk, temp1);
    acc = L_sub(acc, Lener);
    interExc = shr(interExc, 1);
    acc = L_mac(acc, interExc, interExc);
    sh = add(sh, 1);
    if (acc < 0) {
      for (let i = 0; i < L_SUBFR; i++) exc[cur + i] = excg[i]!;
      temp1 = abs_s(excg[pos[0]!]!) | abs_s(excg[pos[1]!]!);
      temp2 = abs_s(excg[pos[2]!]!) | abs_s(excg[pos[3]!]!);
      temp1 |= temp2;
      sh = (temp1 & 0x4000) === 0 ? 1 : 2;
      interExc = 0;
      for (let i = 0; i < 4; i++) {
        const v = shr(excg[pos[i]!]!, sh);
        interExc = sign[i] === 0 ? sub(interExc, v) : add(interExc, v);
      }
      hi = Lk >> 16;
      lo = (Lk >> 1) - hi * 32768;
      acc = Mpy_32_16(hi, lo, K0);
      temp1 = sub(shl(sh, 1), 1);
      acc = L_shr(acc, temp1);
      acc = L_mac(acc, interExc, interExc);
    }
    temp2 = sqrtQ(acc);
    let x1 = sub(temp2, interExc);
    const x2 = negate(add(interExc, temp2));
    if (abs_s(x2) < abs_s(x1)) x1 = x2;
    temp1 = sub(2, sh);
    let g = shr_r(x1, temp1);
    if (g >= 0) {
      if (g > G_MAX) g = G_MAX;
    } else if (add(g, G_MAX) < 0) g = negate(G_MAX);
    for (let i = 0; i < 4; i++) {
      const j = cur + pos[i]!;
      exc[j] = sign[i] !== 0 ? add(exc[j]!, g) : sub(exc[j]!, g);
    }
  }
}

/**
 * Dec_cng: for a SID frame (sid given) update the noise LSP and gain; for an untransmitted
 * frame keep them (right after speech, estimate the gain from the last speech energy).
 * Then build the comfort-noise excitation and the two subframe LP filters.
 */
export function decodeCng(
  st: CngState,
  pastFrameType: number,
  sid: Int16Array | null,
  sidSav: number,
  shSidSav: number,
  exc: Int16Array,
  excOff: number,
  lspOld: Int16Array,
  az: Int16Array,
  freqPrev: Int16Array,
): void {
  const afterSpeech = pastFrameType === 1;
  if (sid) {
    st.sidGain = tabSidgain[sid[3]!]!;
    decodeSidLsp(sid[0]!, sid[1]!, sid[2]!, freqPrev, st.lspSid);
  } else if (afterSpeech) {
    st.sidGain = tabSidgain[sidGainIndexFromSaved(sidSav, shSidSav)]!;
  }
  if (afterSpeech) st.curGain = st.sidGain;
  else {
    st.curGain = mult_r(st.curGain, A_GAIN0);
    st.curGain = add(st.curGain, mult_r(st.sidGain, A_GAIN1));
  }
  randomExcitation(st, st.curGain, exc, excOff);
  interpolateLpc(lspOld, st.lspSid, az);
  lspOld.set(st.lspSid);
}
