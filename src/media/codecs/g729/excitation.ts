/**
 * Excitation parameter decoding: pitch lag (1/3 resolution, parity), the 4-pulse
 * algebraic codebook, the conjugate-structure gain VQ with MA energy prediction, and
 * the pseudo-random generator the standard uses for concealment and comfort noise.
 */
import { L_add, L_deposit_h, L_mac, L_mult, L_shl, L_shr, Mpy_32_16, log2, log2Out, mult, pow2, add as add16, sub as sub16 } from './basicops.js';
import { energy } from './dsp.js';
import { gbk1, gbk2, imap1, imap2, pred } from './tables.js';

// Saturating 16-bit add / sub, bound locally (no import-cell load per call).
const add = add16;
const sub = sub16;

// Codec constants as local (non-exported) bindings: imported or exported module bindings are
// read through a cell with a hole check on every use, even in hot loops; local constants fold.
const L_SUBFR = 40;

/** Parity check of the first-subframe pitch index: 1 when the received parity bit disagrees. */
export function parityError(pitchIndex: number, parity: number): number {
  let temp = pitchIndex >> 1;
  let sum = 1;
  for (let i = 0; i <= 5; i++) {
    temp >>= 1;
    sum += temp & 1;
  }
  return (sum + parity) & 1;
}

/** Random(): seed = seed * 31821 + 13849 on 16 bits. Returns the new seed. */
export function nextRandom(seed: number): number {
  return (((L_mult(seed, 31821) >> 1) + 13849) << 16) >> 16;
}

/** Result of {@link decodeLag}. */
export const lagOut = { t0: 0, frac: 0 };

/** Dec_lag3: pitch lag of subframe 1 (absolute) or 2 (relative to t0 of subframe 1). */
export function decodeLag(index: number, firstSubframe: boolean, t0Prev: number): void {
  if (firstSubframe) {
    if (index < 197) {
      const t0 = add(mult(add(index, 2), 10923), 19);
      lagOut.t0 = t0;
      lagOut.frac = add(sub(index, t0 * 3), 58);
    } else {
      lagOut.t0 = sub(index, 112);
      lagOut.frac = 0;
    }
  } else {
    let t0Min = t0Prev - 5;
    if (t0Min < 20) t0Min = 20;
    let t0Max = t0Min + 9;
    if (t0Max > 143) {
      t0Max = 143;
      t0Min = t0Max - 9;
    }
    const i = sub(mult(add(index, 2), 10923), 1);
    lagOut.t0 = add(i, t0Min);
    lagOut.frac = sub(sub(index, 2), i * 3);
  }
}

/** Decod_ACELP: 4 signed unit pulses (Q13) from the 13-bit position and 4-bit sign indices. */
export function decodeAcelp(sign: number, index: number, code: Int16Array): void {
  // A plain loop: cheaper than the fill() builtin for so few samples.
  for (let i = 0; i < L_SUBFR; i += 4) {
    code[i] = 0;
    code[i + 1] = 0;
    code[i + 2] = 0;
    code[i + 3] = 0;
  }
  const p0 = (index & 7) * 5;
  index >>= 3;
  const p1 = (index & 7) * 5 + 1;
  index >>= 3;
  const p2 = (index & 7) * 5 + 2;
  index >>= 3;
  const j = index & 1;
  index >>= 1;
  const p3 = (index & 7) * 5 + 3 + j;
  code[p0] = sign & 1 ? 8191 : -8192;
  code[p1] = (sign >> 1) & 1 ? 8191 : -8192;
  code[p2] = (sign >> 2) & 1 ? 8191 : -8192;
  code[p3] = (sign >> 3) & 1 ? 8191 : -8192;
}

export class GainDecoderState {
  /** Past quantized innovation energies (Q10) of the MA gain predictor. */
  readonly pastQuaEn = new Int16Array(4);
  gainPitch = 0;
  gainCode = 0;

  reset(): void {
    this.pastQuaEn.fill(-14336);
    this.gainPitch = 0;
    this.gainCode = 0;
  }
}

/** Dec_gain: decode (or, on erasure, attenuate) the pitch gain (Q14) and code gain (Q1). */
export function decodeGain(st: GainDecoderState, index: number, code: Int16Array, bfi: boolean): void {
  const past = st.pastQuaEn;
  if (bfi) {
    let gp = mult(st.gainPitch, 29491);
    if (gp > 29491) gp = 29491;
    st.gainPitch = gp;
    st.gainCode = mult(st.gainCode, 32111);
    // Gain_update_erasure: feed the predictor the average energy minus 4 dB (floor -14 dB).
    let L = 0;
    for (let i = 0; i < 4; i++) L = L_add(L, past[i]!);
    let av = sub((L >> 2) << 16 >> 16, 4096);
    if (av < -14336) av = -14336;
    past[3] = past[2]!;
    past[2] = past[1]!;
    past[1] = past[0]!;
    past[0] = av;
    return;
  }
  const index1 = imap1[index >> 4]!;
  const index2 = imap2[index & 15]!;
  st.gainPitch = add(gbk1[index1 * 2]!, gbk2[index2 * 2]!);

  // Gain_predict: innovation energy, predicted energy, gcode0 = 2^(predicted energy).
  // L_mac(L, code, code) over the subframe: non-negative terms, so energy()'s single clamp is exact.
  let L = energy(0, code, 0, L_SUBFR);
  log2(L);
  let exp = log2Out.exponent;
  let frac = log2Out.fraction;
  L = Mpy_32_16(exp, frac, -24660);
  L = L_mac(L, 32588, 32);
  L = L_shl(L, 10);
  for (let i = 0; i < 4; i++) L = L_mac(L, pred[i]!, past[i]!);
  let gcode0 = L >> 16;
  L = L_mult(gcode0, 5439);
  L = L_shr(L, 8);
  exp = L >> 16;
  frac = (L >> 1) - exp * 32768;
  gcode0 = (pow2(14, frac) << 16) >> 16;
  const expGcode0 = sub(14, exp);

  const Lgbk12 = L_add(gbk1[index1 * 2 + 1]!, gbk2[index2 * 2 + 1]!);
  const tmp = (L_shr(Lgbk12, 1) << 16) >> 16;
  L = L_mult(tmp, gcode0);
  L = L_shl(L, add(-expGcode0, -12 - 1 + 1 + 16));
  st.gainCode = L >> 16;

  // Gain_update: past_qua_en[0] = 20 log10(g_gbk12) in Q10.
  past[3] = past[2]!;
  past[2] = past[1]!;
  past[1] = past[0]!;
  log2(Lgbk12);
  const e = log2Out.exponent;
  const f = log2Out.fraction;
  const Lacc = L_add(L_deposit_h(sub(e, 13)), f * 2);
  const t = L_shl(Lacc, 13) >> 16;
  past[0] = mult(t, 24660);
}
