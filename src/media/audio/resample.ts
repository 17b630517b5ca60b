/**
 * 2× interpolation for putting an 8 kHz party into a 16 kHz (G.722) recording.
 * A half-band windowed-sinc filter: even output samples are the input samples
 * themselves, odd ones are interpolated from 2·HALF_TAPS neighbours. Kaiser
 * window (β = 8): image rejection beyond 4 kHz of about 80 dB, so the result
 * has no sample-repetition buzz.
 */
export const UPSAMPLE_HALF_TAPS = 16;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

function buildInterpolationTaps(half: number, beta: number): Float64Array {
  const taps = new Float64Array(2 * half);
  let total = 0;
  for (let j = 0; j < 2 * half; j++) {
    const u = j - half + 0.5; // distance (in input samples) from the midpoint being interpolated
    const sinc = Math.sin(Math.PI * u) / (Math.PI * u);
    const r = u / (half + 0.5);
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / besselI0(beta);
    taps[j] = sinc * window;
    total += taps[j]!;
  }
  for (let j = 0; j < taps.length; j++) taps[j]! /= total; // unity gain at DC
  return taps;
}

const TAPS = buildInterpolationTaps(UPSAMPLE_HALF_TAPS, 8);

/**
 * Upsample `input` by 2. `input` holds the n samples to convert with
 * UPSAMPLE_HALF_TAPS extra samples of context on each side (silence where
 * there is none), so output sample 2i is input[HALF + i] exactly and output
 * sample 2i+1 lies halfway between input[HALF + i] and input[HALF + i + 1].
 * `out` must hold 2n samples.
 */
export function upsample2x(input: Int16Array, out: Int16Array): void {
  const half = UPSAMPLE_HALF_TAPS;
  const n = input.length - 2 * half;
  if (n < 0 || out.length < 2 * n) throw new RangeError('upsample2x: input needs context on both sides and out must hold twice the samples');
  for (let i = 0; i < n; i++) {
    const centre = half + i;
    out[2 * i] = input[centre]!;
    let acc = 0;
    const base = centre - half + 1;
    for (let j = 0; j < 2 * half; j++) acc += TAPS[j]! * input[base + j]!;
    const v = Math.round(acc);
    out[2 * i + 1] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
