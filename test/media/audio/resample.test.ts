import { describe, expect, it } from 'vitest';
import { upsample2x, UPSAMPLE_HALF_TAPS, SampleTrack, TRACK_BLOCK_SAMPLES } from '../../../src/media/audio/index.js';

function sine(n: number, rate: number, freq: number, amplitude: number, phase = 0): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => amplitude * Math.sin(2 * Math.PI * freq * (i / rate) + phase));
}

/** Power of `signal` at `freq` (single-bin DFT), relative to full scale. */
function tonePower(signal: ArrayLike<number>, rate: number, freq: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < signal.length; i++) {
    re += signal[i]! * Math.cos((2 * Math.PI * freq * i) / rate);
    im -= signal[i]! * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (re * re + im * im) / (signal.length * signal.length);
}

describe('8 → 16 kHz interpolation', () => {
  const n = 8000;
  const input = Int16Array.from(sine(n + 2 * UPSAMPLE_HALF_TAPS, 8000, 1000, 16000), Math.round);
  const out = new Int16Array(2 * n);
  upsample2x(input, out);

  it('keeps the input samples and interpolates a 1 kHz tone with SNR above 60 dB', () => {
    for (let i = 0; i < n; i++) expect(out[2 * i]).toBe(input[UPSAMPLE_HALF_TAPS + i]);
    const ideal = sine(2 * n + 2 * UPSAMPLE_HALF_TAPS * 2, 16000, 1000, 16000);
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < 2 * n; i++) {
      const want = ideal[i + 2 * UPSAMPLE_HALF_TAPS]!;
      signal += want * want;
      noise += (out[i]! - want) ** 2;
    }
    const snr = 10 * Math.log10(signal / noise);
    console.log(`upsample2x: 1 kHz tone SNR ${snr.toFixed(1)} dB`);
    expect(snr).toBeGreaterThan(60);
  });

  it('rejects the 7 kHz image of a 1 kHz tone by more than 70 dB (no sample-repetition buzz)', () => {
    const body = out.subarray(2000, 2 * n - 2000);
    const rejection = 10 * Math.log10(tonePower(body, 16000, 1000) / tonePower(body, 16000, 7000));
    console.log(`upsample2x: image rejection ${rejection.toFixed(1)} dB`);
    expect(rejection).toBeGreaterThan(70);
  });
});

describe('SampleTrack', () => {
  it('reads back what was written anywhere, silence elsewhere, also after spilling blocks to disk', () => {
    const track = new SampleTrack({ maxResidentBlocks: 2 });
    const chunk = Int16Array.from({ length: 1000 }, (_, i) => i - 500);
    const positions = [5, TRACK_BLOCK_SAMPLES - 300, 3 * TRACK_BLOCK_SAMPLES + 17, 7 * TRACK_BLOCK_SAMPLES, 2 * TRACK_BLOCK_SAMPLES + 4];
    for (const p of positions) track.write(p, chunk);
    for (const p of positions) {
      const back = track.read(p, new Int16Array(1000));
      expect(Array.from(back)).toEqual(Array.from(chunk));
    }
    expect(Array.from(track.read(10 * TRACK_BLOCK_SAMPLES, new Int16Array(4)))).toEqual([0, 0, 0, 0]);
    expect(track.length).toBe(7 * TRACK_BLOCK_SAMPLES + 1000);
    track.dispose();
  });
});
