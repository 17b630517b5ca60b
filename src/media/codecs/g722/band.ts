/**
 * One G.722 sub-band's ADPCM (ITU-T G.722 section 6): quantiser (QUANTL /
 * QUANTH, encoder only), inverse quantisers (INVQAL/INVQBL, INVQAH/INVQBH),
 * log scale factor adaptation (LOGSCL/SCALEL, LOGSCH/SCALEH) and the
 * adaptive pole-zero predictor (PARREC, RECONS, UPZERO, UPPOL2, UPPOL1,
 * FILTEZ, FILTEP, DELAYA, LIMIT). Encoder and decoder run the same
 * adaptation on the same codes, which keeps their predictors in step.
 *
 * A block of samples runs through one band at a time with the whole state in
 * local variables; the lower and higher bands, and encoding and decoding,
 * share this one loop, parameterised by `BandCoding`.
 */
import {
  ANTILOG,
  HIGHER_CODE_NEGATIVE,
  HIGHER_CODE_POSITIVE,
  HIGHER_DECISION_LEVEL,
  HIGHER_INVERSE_2,
  HIGHER_LOG_MULTIPLIER,
  HIGHER_LOG_SCALE_MAX,
  HIGHER_SCALE_RESET,
  LOWER_CODE_NEGATIVE,
  LOWER_CODE_POSITIVE,
  LOWER_DECISION_LEVELS,
  LOWER_INVERSE_4,
  LOWER_LOG_MULTIPLIER,
  LOWER_LOG_SCALE_MAX,
  LOWER_SCALE_RESET,
} from './tables.js';

/** What differs between the bands (and, for the decoder's lower band, between modes). */
export interface BandCoding {
  readonly higher: boolean;
  /** Inverse quantiser feeding the predictor and scale factor (QQ4 by IL >> 2, QQ2 by IH), with the code shift. */
  readonly feedbackTable: Int32Array;
  readonly feedbackShift: number;
  /** Decoder's output inverse quantiser (QQ6/QQ5/QQ4 by mode, QQ2), with the code shift. */
  readonly outputTable: Int32Array;
  readonly outputShift: number;
  /** Log scale-factor multiplier W by the feedback code, upper limit of the log scale, and SCALEL/SCALEH shift bias. */
  readonly logMultiplier: Int32Array;
  readonly logScaleMax: number;
  readonly scaleBias: number;
  readonly resetScale: number;
}

export function lowerBandCoding(outputTable: Int32Array, outputShift: number): BandCoding {
  return {
    higher: false,
    feedbackTable: LOWER_INVERSE_4,
    feedbackShift: 2,
    outputTable,
    outputShift,
    logMultiplier: LOWER_LOG_MULTIPLIER,
    logScaleMax: LOWER_LOG_SCALE_MAX,
    scaleBias: 8,
    resetScale: LOWER_SCALE_RESET,
  };
}

export const HIGHER_BAND_CODING: BandCoding = {
  higher: true,
  feedbackTable: HIGHER_INVERSE_2,
  feedbackShift: 0,
  outputTable: HIGHER_INVERSE_2,
  outputShift: 0,
  logMultiplier: HIGHER_LOG_MULTIPLIER,
  logScaleMax: HIGHER_LOG_SCALE_MAX,
  scaleBias: 10,
  resetScale: HIGHER_SCALE_RESET,
};

// Layout of a band's state vector.
const LOG_SCALE = 0; // NBL / NBH
const SCALE = 1; // DETL / DETH
const ESTIMATE = 2; // SL / SH
const ZERO_PART = 3; // SZL / SZH
const POLE1 = 4; // AL1 / AH1
const POLE2 = 5;
const ZERO1 = 6; // BL1…BL6 at 6…11
const DIFF1 = 12; // DLT1…DLT6 at 12…17
const PARTIAL1 = 18; // PLT1, PLT2
const PARTIAL2 = 19;
const RECONSTRUCTED1 = 20; // RLT1, RLT2
const RECONSTRUCTED2 = 21;
const STATE_LENGTH = 22;

/** A band's state after reset: all zero but the scale factor. */
export function newBandState(coding: BandCoding): Int32Array {
  const state = new Int32Array(STATE_LENGTH);
  resetBandState(state, coding);
  return state;
}

export function resetBandState(state: Int32Array, coding: BandCoding): void {
  state.fill(0);
  state[SCALE] = coding.resetScale;
}

const LOWER_LEVELS = Int32Array.from(LOWER_DECISION_LEVELS);
const LOWER_NEGATIVE = Int32Array.from(LOWER_CODE_NEGATIVE);
const LOWER_POSITIVE = Int32Array.from(LOWER_CODE_POSITIVE);
const HIGHER_NEGATIVE_LARGE = HIGHER_CODE_NEGATIVE[2]!;
const HIGHER_NEGATIVE_SMALL = HIGHER_CODE_NEGATIVE[1]!;
const HIGHER_POSITIVE_LARGE = HIGHER_CODE_POSITIVE[2]!;
const HIGHER_POSITIVE_SMALL = HIGHER_CODE_POSITIVE[1]!;

/**
 * Run `count` samples through one band.
 * Encoding: reads the band signal XL/XH from `signal`, writes codes to `codes`.
 * Decoding: reads codes from `codes`, writes the limited output YL/YH to `output`.
 */
export function runBand(
  state: Int32Array,
  coding: BandCoding,
  encoding: boolean,
  count: number,
  signal: Int32Array,
  codes: Int32Array,
  output: Int32Array,
): void {
  const higher = coding.higher;
  const feedbackTable = coding.feedbackTable;
  const feedbackShift = coding.feedbackShift;
  const outputTable = coding.outputTable;
  const outputShift = coding.outputShift;
  const logMultiplier = coding.logMultiplier;
  const logScaleMax = coding.logScaleMax;
  const scaleBias = coding.scaleBias;

  let logScale = state[LOG_SCALE]!;
  let scale = state[SCALE]!;
  let estimate = state[ESTIMATE]!;
  let zeroPart = state[ZERO_PART]!;
  let pole1 = state[POLE1]!;
  let pole2 = state[POLE2]!;
  let b1 = state[ZERO1]!, b2 = state[ZERO1 + 1]!, b3 = state[ZERO1 + 2]!;
  let b4 = state[ZERO1 + 3]!, b5 = state[ZERO1 + 4]!, b6 = state[ZERO1 + 5]!;
  let d1 = state[DIFF1]!, d2 = state[DIFF1 + 1]!, d3 = state[DIFF1 + 2]!;
  let d4 = state[DIFF1 + 3]!, d5 = state[DIFF1 + 4]!, d6 = state[DIFF1 + 5]!;
  let partial1 = state[PARTIAL1]!;
  let partial2 = state[PARTIAL2]!;
  let reconstructed1 = state[RECONSTRUCTED1]!;
  let reconstructed2 = state[RECONSTRUCTED2]!;

  for (let i = 0; i < count; i++) {
    let code: number;
    if (encoding) {
      // SUBTRA, then QUANTL / QUANTH on the ones' complement magnitude.
      let error = signal[i]! - estimate;
      error = error > 32767 ? 32767 : error < -32768 ? -32768 : error;
      const magnitude = error >= 0 ? error : -(error + 1);
      if (higher) {
        const large = magnitude >= (HIGHER_DECISION_LEVEL * 8 * scale) >> 15;
        code = error < 0 ? (large ? HIGHER_NEGATIVE_LARGE : HIGHER_NEGATIVE_SMALL) : large ? HIGHER_POSITIVE_LARGE : HIGHER_POSITIVE_SMALL;
      } else {
        // Interval m (1…30): 1 + how many of the decision levels (Q6(m)·8·DETL) >> 15, m = 1…29, are ≤ magnitude.
        // Counted without branches ((level - magnitude - 1) >>> 31 is 1 when level ≤ magnitude): the
        // interval is data-dependent, so a search's branches would mostly mispredict.
        let low = 1;
        for (let k = 1; k < 30; k++) low += (((LOWER_LEVELS[k]! * 8 * scale) >> 15) - magnitude - 1) >>> 31;
        code = error < 0 ? LOWER_NEGATIVE[low]! : LOWER_POSITIVE[low]!;
      }
      codes[i] = code;
    } else {
      code = codes[i]!;
      // INVQBL / INVQBH, RECONS and LIMIT for the output.
      let y = estimate + ((scale * (outputTable[code >> outputShift]! << 3)) >> 15);
      y = y > 16383 ? 16383 : y < -16384 ? -16384 : y;
      output[i] = y;
    }

    // INVQAL / INVQAH: the quantised difference the predictor sees.
    const feedbackCode = code >> feedbackShift;
    const diff = (scale * (feedbackTable[feedbackCode]! << 3)) >> 15;

    // LOGSCL / LOGSCH then SCALEL / SCALEH (negative shifts are left shifts, only at the top of the range).
    logScale = ((logScale * 32512) >> 15) + logMultiplier[feedbackCode]!;
    logScale = logScale < 0 ? 0 : logScale > logScaleMax ? logScaleMax : logScale;
    const shift = scaleBias - (logScale >> 11);
    const mantissa = ANTILOG[(logScale >> 6) & 31]!;
    scale = (shift >= 0 ? mantissa >> shift : mantissa << -shift) << 2;

    // PARREC
    let partial = diff + zeroPart;
    partial = partial > 32767 ? 32767 : partial < -32768 ? -32768 : partial;

    // UPZERO: leak 255/256 and step ±128 by sign agreement with the old delay
    // line (no step when the difference is 0); then DELAYA shifts the line.
    // Signs are sign bits (0 counts as positive): m = (a ^ b) >> 31 is -1 when
    // they differ, and (step ^ m) - m is then -step.
    const step = diff === 0 ? 0 : 128;
    let m = (diff ^ d1) >> 31;
    b1 = ((step ^ m) - m) + ((b1 * 32640) >> 15);
    m = (diff ^ d2) >> 31;
    b2 = ((step ^ m) - m) + ((b2 * 32640) >> 15);
    m = (diff ^ d3) >> 31;
    b3 = ((step ^ m) - m) + ((b3 * 32640) >> 15);
    m = (diff ^ d4) >> 31;
    b4 = ((step ^ m) - m) + ((b4 * 32640) >> 15);
    m = (diff ^ d5) >> 31;
    b5 = ((step ^ m) - m) + ((b5 * 32640) >> 15);
    m = (diff ^ d6) >> 31;
    b6 = ((step ^ m) - m) + ((b6 * 32640) >> 15);
    d6 = d5;
    d5 = d4;
    d4 = d3;
    d3 = d2;
    d2 = d1;
    d1 = diff;

    // UPPOL2: 4·AL1 and its negation saturate to 16 bits; leak 127/128; clamp ±12288.
    const differ1 = (partial ^ partial1) >> 31;
    const differ2 = (partial ^ partial2) >> 31;
    let fourPole1 = pole1 * 4;
    fourPole1 = fourPole1 > 32767 ? 32767 : fourPole1 < -32768 ? -32768 : fourPole1;
    const signedPole1 = differ1 === 0 ? (fourPole1 === -32768 ? 32767 : -fourPole1) : fourPole1;
    let newPole2 = (signedPole1 >> 7) + ((128 ^ differ2) - differ2) + ((pole2 * 32512) >> 15);
    newPole2 = newPole2 > 12288 ? 12288 : newPole2 < -12288 ? -12288 : newPole2;
    // UPPOL1: step ±192, leak 255/256, bound 15360 - AL2 (the new AL2).
    let newPole1 = ((192 ^ differ1) - differ1) + ((pole1 * 32640) >> 15);
    const limit = 15360 - newPole2;
    newPole1 = newPole1 > limit ? limit : newPole1 < -limit ? -limit : newPole1;
    pole1 = newPole1;
    pole2 = newPole2;

    // RECONS and DELAYA
    let reconstructed = estimate + diff;
    reconstructed = reconstructed > 32767 ? 32767 : reconstructed < -32768 ? -32768 : reconstructed;
    reconstructed2 = reconstructed1;
    reconstructed1 = reconstructed;
    partial2 = partial1;
    partial1 = partial;

    // FILTEP: AL1·2RLT1 >> 15 + AL2·2RLT2 >> 15 (2·RLT saturated).
    let twice1 = reconstructed1 * 2;
    twice1 = twice1 > 32767 ? 32767 : twice1 < -32768 ? -32768 : twice1;
    let twice2 = reconstructed2 * 2;
    twice2 = twice2 > 32767 ? 32767 : twice2 < -32768 ? -32768 : twice2;
    let polePart = ((pole1 * twice1) >> 15) + ((pole2 * twice2) >> 15);
    polePart = polePart > 32767 ? 32767 : polePart < -32768 ? -32768 : polePart;

    // FILTEZ: Σ BLi·2DLTi >> 15, each addition saturated.
    let z = (b1 * d1 * 2) >> 15;
    z += (b2 * d2 * 2) >> 15;
    z = z > 32767 ? 32767 : z < -32768 ? -32768 : z;
    z += (b3 * d3 * 2) >> 15;
    z = z > 32767 ? 32767 : z < -32768 ? -32768 : z;
    z += (b4 * d4 * 2) >> 15;
    z = z > 32767 ? 32767 : z < -32768 ? -32768 : z;
    z += (b5 * d5 * 2) >> 15;
    z = z > 32767 ? 32767 : z < -32768 ? -32768 : z;
    z += (b6 * d6 * 2) >> 15;
    zeroPart = z > 32767 ? 32767 : z < -32768 ? -32768 : z;

    // PREDIC
    const sum = polePart + zeroPart;
    estimate = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
  }

  state[LOG_SCALE] = logScale;
  state[SCALE] = scale;
  state[ESTIMATE] = estimate;
  state[ZERO_PART] = zeroPart;
  state[POLE1] = pole1;
  state[POLE2] = pole2;
  state[ZERO1] = b1;
  state[ZERO1 + 1] = b2;
  state[ZERO1 + 2] = b3;
  state[ZERO1 + 3] = b4;
  state[ZERO1 + 4] = b5;
  state[ZERO1 + 5] = b6;
  state[DIFF1] = d1;
  state[DIFF1 + 1] = d2;
  state[DIFF1 + 2] = d3;
  state[DIFF1 + 3] = d4;
  state[DIFF1 + 4] = d5;
  state[DIFF1 + 5] = d6;
  state[PARTIAL1] = partial1;
  state[PARTIAL2] = partial2;
  state[RECONSTRUCTED1] = reconstructed1;
  state[RECONSTRUCTED2] = reconstructed2;
}
