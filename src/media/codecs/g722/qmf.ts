/**
 * The 24-tap quadrature mirror filters of G.722 (section 3 of the
 * Recommendation, coefficients in Table 5). The transmit QMF splits two 16 kHz
 * input samples into one lower-band and one higher-band sample; the receive
 * QMF does the reverse.
 */
import { QMF_COEFFICIENTS } from './tables.js';

const H = QMF_COEFFICIENTS;
const H0 = H[0]!, H1 = H[1]!, H2 = H[2]!, H3 = H[3]!, H4 = H[4]!, H5 = H[5]!;
const H6 = H[6]!, H7 = H[7]!, H8 = H[8]!, H9 = H[9]!, H10 = H[10]!, H11 = H[11]!;
const H12 = H[12]!, H13 = H[13]!, H14 = H[14]!, H15 = H[15]!, H16 = H[16]!, H17 = H[17]!;
const H18 = H[18]!, H19 = H[19]!, H20 = H[20]!, H21 = H[21]!, H22 = H[22]!, H23 = H[23]!;

/** History kept in a linear buffer that is slid back when full, so the filter reads 24 consecutive cells without wrapping. */
const HISTORY_CELLS = 24;
const BUFFER_CELLS = 2048;

/**
 * 24-tap history in time order: `cells[end - 1]` is the newest value. The
 * FIR products below pair the newest value with h0 ... the oldest with h23.
 */
class History {
  readonly cells = new Int32Array(BUFFER_CELLS);
  end = HISTORY_CELLS;

  /** Make room for two more values; returns the index to write the first of them. */
  reserveTwo(): number {
    if (this.end + 2 > BUFFER_CELLS) {
      this.cells.copyWithin(0, this.end - HISTORY_CELLS, this.end);
      this.end = HISTORY_CELLS;
    }
    const at = this.end;
    this.end += 2;
    return at;
  }

  reset(): void {
    this.cells.fill(0);
    this.end = HISTORY_CELLS;
  }
}

/**
 * Transmit QMF. After pushing input samples x(j-1), x(j): XA = Σ h(2i)·x(j-2i),
 * XB = Σ h(2i+1)·x(j-2i-1); XL = (XA + XB) >> 14, XH = (XA - XB) >> 14 (for
 * 16-bit input; the Recommendation's 14-bit input gives the same lower-band
 * scale with its shift).
 */
export class AnalysisQmf {
  private readonly history = new History();
  lower = 0;
  higher = 0;

  split(first: number, second: number): void {
    const h = this.history;
    const at = h.reserveTwo();
    const c = h.cells;
    c[at] = first;
    c[at + 1] = second;
    const n = at + 1; // newest
    const even = H0 * c[n]! + H2 * c[n - 2]! + H4 * c[n - 4]! + H6 * c[n - 6]! + H8 * c[n - 8]! + H10 * c[n - 10]! +
      H12 * c[n - 12]! + H14 * c[n - 14]! + H16 * c[n - 16]! + H18 * c[n - 18]! + H20 * c[n - 20]! + H22 * c[n - 22]!;
    const odd = H1 * c[n - 1]! + H3 * c[n - 3]! + H5 * c[n - 5]! + H7 * c[n - 7]! + H9 * c[n - 9]! + H11 * c[n - 11]! +
      H13 * c[n - 13]! + H15 * c[n - 15]! + H17 * c[n - 17]! + H19 * c[n - 19]! + H21 * c[n - 21]! + H23 * c[n - 23]!;
    this.lower = (even + odd) >> 14;
    this.higher = (even - odd) >> 14;
  }

  /** Split `pairs` consecutive sample pairs of `pcm` from `from` into lower[at…] and higher[at…]. */
  splitBlock(pcm: Int16Array, from: number, pairs: number, lower: Int32Array, higher: Int32Array, at: number): void {
    for (let k = 0; k < pairs; k++) {
      this.split(pcm[from + 2 * k]!, pcm[from + 2 * k + 1]!);
      lower[at + k] = this.lower;
      higher[at + k] = this.higher;
    }
  }

  reset(): void {
    this.history.reset();
    this.lower = this.higher = 0;
  }
}

/**
 * Receive QMF. Each (RL, RH) pair enters the history as XD = RL - RH and
 * XS = RL + RH; the first output sample is Σ h(2i)·XD(j-i), the second
 * Σ h(2i+1)·XS(j-i), each >> 11 to 16-bit and saturated.
 */
export class SynthesisQmf {
  private readonly history = new History();
  first = 0;
  second = 0;

  merge(lower: number, higher: number): void {
    const h = this.history;
    const at = h.reserveTwo();
    const c = h.cells;
    c[at] = lower - higher;
    c[at + 1] = lower + higher;
    const n = at + 1;
    const odd = H1 * c[n]! + H3 * c[n - 2]! + H5 * c[n - 4]! + H7 * c[n - 6]! + H9 * c[n - 8]! + H11 * c[n - 10]! +
      H13 * c[n - 12]! + H15 * c[n - 14]! + H17 * c[n - 16]! + H19 * c[n - 18]! + H21 * c[n - 20]! + H23 * c[n - 22]!;
    const even = H0 * c[n - 1]! + H2 * c[n - 3]! + H4 * c[n - 5]! + H6 * c[n - 7]! + H8 * c[n - 9]! + H10 * c[n - 11]! +
      H12 * c[n - 13]! + H14 * c[n - 15]! + H16 * c[n - 17]! + H18 * c[n - 19]! + H20 * c[n - 21]! + H22 * c[n - 23]!;
    const a = even >> 11;
    const b = odd >> 11;
    this.first = a > 32767 ? 32767 : a < -32768 ? -32768 : a;
    this.second = b > 32767 ? 32767 : b < -32768 ? -32768 : b;
  }

  /** Merge `count` band sample pairs into 2·count output samples at out[at…]. */
  mergeBlock(lower: Int32Array, higher: Int32Array, count: number, out: Int16Array, at: number): void {
    for (let k = 0, o = at; k < count; k++, o += 2) {
      this.merge(lower[k]!, higher[k]!);
      out[o] = this.first;
      out[o + 1] = this.second;
    }
  }

  reset(): void {
    this.history.reset();
    this.first = this.second = 0;
  }
}
