// How loud a tone or a stretch of audio is: the tests' measure of where each party's voice ended up.

/**
 * Level (dBFS, peak of the sine) of the `hz` component of `pcm`: a
 * Hann-windowed Goertzel filter over the whole array. A full-scale sine reads
 * about 0, an absent tone far below (floored at -200).
 */
export function toneLevel(pcm: Int16Array, sampleRate: number, hz: number): number {
  const n = pcm.length;
  if (n === 0) return -200;
  const w = (2 * Math.PI * hz) / sampleRate;
  const coefficient = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    const s0 = pcm[i]! * window + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  // |X| = A·N/2 for a sine of amplitude A, times the Hann window's coherent gain 0.5.
  const amplitude = (4 * Math.sqrt(Math.max(0, power))) / n;
  return amplitude > 0 ? Math.max(-200, 20 * Math.log10(amplitude / 32768)) : -200;
}

/** RMS level of `pcm` in dBFS (floored at -200): how loud a stretch is, tone or not. */
export function rmsLevel(pcm: Int16Array): number {
  if (pcm.length === 0) return -200;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  const rms = Math.sqrt(sum / pcm.length);
  return rms > 0 ? Math.max(-200, 20 * Math.log10(rms / 32768)) : -200;
}
