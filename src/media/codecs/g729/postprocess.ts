/**
 * Output high-pass post-processing (100 Hz cut-off, 2nd order, with the ×2 output
 * scaling) of the G.729 decoder (Post_Process). The filter state is kept in double
 * precision (hi/lo words) as in the Recommendation.
 */
import { a100, b100 } from './tables.js';

const MAX_32 = 2147483647;
const MIN_32 = -2147483648;
/** Input magnitude up to which the fast path of {@link HighPassFilter.run} is exact. */
const BIG_X = 17000;

function sat32(v: number): number {
  return v > MAX_32 ? MAX_32 : v < MIN_32 ? MIN_32 : v;
}

export class HighPassFilter {
  private y1Hi = 0;
  private y1Lo = 0;
  private y2Hi = 0;
  private y2Lo = 0;
  private x0 = 0;
  private x1 = 0;

  reset(): void {
    this.y1Hi = this.y1Lo = this.y2Hi = this.y2Lo = this.x0 = this.x1 = 0;
  }

  /** Filter sig[off..off+n) in place. */
  run(sig: Int16Array, off: number, n: number): void {
    this.runTo(sig, off, sig, off, n);
  }

  /** Filter src[srcOff..srcOff+n) into dst[dstOff..dstOff+n) (the two may be the same samples). */
  runTo(src: Int16Array, srcOff: number, dst: Int16Array, dstOff: number, n: number): void {
    // Coefficients (Q13 in the tables): none is -32768, so no product saturates, and the
    // two feedback terms together stay below 2^31; only the input taps and shifts can saturate.
    const a1 = a100[1]!;
    const a2 = a100[2]!;
    const b0 = b100[0]!;
    const b1 = b100[1]!;
    const b2 = b100[2]!;
    let { y1Hi, y1Lo, y2Hi, y2Lo, x0, x1 } = this;
    // While |x| <= BIG_X over the three input taps and |feedback| < 2^30, no partial sum can
    // saturate (2^30 + 2 * 17000 * (|b0| + |b1| + |b2|) < 2^31): one int32 sum, and the output
    // shifts are exact unless the sum leaves [-2^28, 2^28 - 2^12). bigLeft counts the samples
    // whose taps still hold an input above BIG_X.
    let bigLeft = 0;
    if (x1 > BIG_X || x1 < -BIG_X) bigLeft = 1;
    if (x0 > BIG_X || x0 < -BIG_X) bigLeft = 2;
    for (let i = 0; i < n; i++) {
      const x2 = x1;
      x1 = x0;
      x0 = src[srcOff + i]!;
      if (x0 > BIG_X || x0 < -BIG_X) bigLeft = 3;
      // Mpy_32_16(y1, a1) + Mpy_32_16(y2, a2): below 2^30.6 in magnitude, an int32.
      const fb = (Math.imul(y1Hi, a1) + (Math.imul(y1Lo, a1) >> 15) + Math.imul(y2Hi, a2) + (Math.imul(y2Lo, a2) >> 15)) << 1;
      if (bigLeft === 0) {
        if (fb < 0x40000000 && fb >= -0x40000000) {
          const P = (fb + ((Math.imul(x0, b0) + Math.imul(x1, b1) + Math.imul(x2, b2)) << 1)) | 0;
          if (P < 0xffff000 && P >= -0x10000000) {
            dst[dstOff + i] = (P + 4096) >> 13;
            y2Hi = y1Hi;
            y2Lo = y1Lo;
            // y1 = L_shl(P, 2), split into hi and lo words.
            y1Hi = P >> 14;
            y1Lo = (P << 1) & 0x7fff;
            continue;
          }
        }
      } else bigLeft--;
      let L = sat32(fb + Math.imul(x0, b0) * 2);
      L = sat32(L + Math.imul(x1, b1) * 2);
      L = sat32(L + Math.imul(x2, b2) * 2);
      L = sat32(L * 4);
      dst[dstOff + i] = sat32(sat32(L * 2) + 0x8000) >> 16;
      y2Hi = y1Hi;
      y2Lo = y1Lo;
      y1Hi = L >> 16;
      y1Lo = (L >> 1) - y1Hi * 32768;
    }
    this.y1Hi = y1Hi;
    this.y1Lo = y1Lo;
    this.y2Hi = y2Hi;
    this.y2Lo = y2Lo;
    this.x0 = x0;
    this.x1 = x1;
  }
}
