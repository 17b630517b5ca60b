/**
 * Constant tables of ITU-T Recommendation G.722 ("7 kHz audio-coding within
 * 64 kbit/s", Blue Book 11/88, Fascicle III.4: the QMF coefficient table and
 * the tables of the section 6 block descriptions, named here by their blocks;
 * the same figures stand in the 2012 edition). The QMF coefficients are also
 * printed, as fractions of 8192, in common textbooks. Values are as in the
 * Recommendation; where the Recommendation gives a magnitude table plus a
 * sign/magnitude code mapping (ILN/ILP, IHN/IHP), the two are folded here into
 * one table indexed directly by the transmitted code, which is the form the
 * hot loops want.
 */

/** QMF coefficients h0…h23 (× 2^13), shared by transmit and receive QMF. */
export const QMF_COEFFICIENTS: readonly number[] = [
  3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876,
  3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3,
];

/**
 * Lower-band quantiser decision levels Q6 of QUANTL: entry k is the lower
 * bound of interval m = k + 1 (interval 30 is open above); the level in signal
 * units is (Q6 · 8 · DETL) >> 15.
 */
export const LOWER_DECISION_LEVELS: readonly number[] = [
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650,
  714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];

/** ILN(1…30): 6-bit code for a negative difference in quantiser interval m (QUANTL). Index 0 unused. */
export const LOWER_CODE_NEGATIVE: readonly number[] = [
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
  18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
];

/** ILP(1…30): 6-bit code for a non-negative difference in quantiser interval m (QUANTL). Index 0 unused. */
export const LOWER_CODE_POSITIVE: readonly number[] = [
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
  46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
];

/**
 * 6-bit inverse quantiser output QQ6 with sign, indexed by the 6-bit code IL
 * (INVQBL, 64 kbit/s mode). Codes 0…3 are never produced by an encoder; they
 * decode as the smallest negative level, -17, as ffmpeg's decoder does (the
 * random-bitstream tests compare them).
 */
export const LOWER_INVERSE_6: Int32Array = Int32Array.from([
  -17, -17, -17, -17, -3101, -2738, -2376, -2088, -1873, -1689, -1535, -1399, -1279, -1170, -1072, -982,
  -899, -822, -750, -682, -618, -558, -501, -447, -396, -347, -300, -254, -211, -170, -130, -91,
  3101, 2738, 2376, 2088, 1873, 1689, 1535, 1399, 1279, 1170, 1072, 982, 899, 822, 750, 682,
  618, 558, 501, 447, 396, 347, 300, 254, 211, 170, 130, 91, 54, 17, -54, -17,
]);

/** 5-bit inverse quantiser output QQ5 with sign, indexed by IL >> 1 (INVQBL, 56 kbit/s mode). */
export const LOWER_INVERSE_5: Int32Array = Int32Array.from([
  -35, -35, -2919, -2195, -1765, -1458, -1219, -1023, -858, -714, -587, -473, -370, -276, -190, -110,
  2919, 2195, 1765, 1458, 1219, 1023, 858, 714, 587, 473, 370, 276, 190, 110, 35, -35,
]);

/**
 * 4-bit inverse quantiser output QQ4 with sign, indexed by IL >> 2 (INVQAL for
 * the predictor in every mode, and INVQBL in the 48 kbit/s mode).
 */
export const LOWER_INVERSE_4: Int32Array = Int32Array.from([
  0, -2557, -1612, -1121, -786, -530, -323, -150, 2557, 1612, 1121, 786, 530, 323, 150, 0,
]);

/** Lower-band log scale-factor multiplier WL, indexed by the 4-bit code IL >> 2 (LOGSCL). */
export const LOWER_LOG_MULTIPLIER: Int32Array = Int32Array.from([
  -60, 3042, 1198, 538, 334, 172, 58, -30, 3042, 1198, 538, 334, 172, 58, -30, -60,
]);

/** Higher-band quantiser decision level Q2 (QUANTH), in units of the scale factor. */
export const HIGHER_DECISION_LEVEL = 564;

/** Higher-band 2-bit code for (negative, interval 1 or 2) and (positive, interval 1 or 2): IHN/IHP of QUANTH. */
export const HIGHER_CODE_NEGATIVE: readonly number[] = [0, 1, 0];
export const HIGHER_CODE_POSITIVE: readonly number[] = [0, 3, 2];

/** 2-bit inverse quantiser output QQ2 with sign, indexed by the 2-bit code IH (INVQAH/INVQBH). */
export const HIGHER_INVERSE_2: Int32Array = Int32Array.from([-926, -202, 926, 202]);

/** Higher-band log scale-factor multiplier WH, indexed by the 2-bit code IH (LOGSCH). */
export const HIGHER_LOG_MULTIPLIER: Int32Array = Int32Array.from([798, -214, 798, -214]);

/** Antilog table ILB(0…31) of SCALEL/SCALEH: round(2048 · 2^(i/32)). */
export const ANTILOG: Int32Array = Int32Array.from([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);

/** Upper limits of the log scale factors NBL and NBH (LOGSCL, LOGSCH). */
export const LOWER_LOG_SCALE_MAX = 18432;
export const HIGHER_LOG_SCALE_MAX = 22528;

/** Scale factors DETL and DETH after reset (section 6.3 reset). */
export const LOWER_SCALE_RESET = 32;
export const HIGHER_SCALE_RESET = 8;
