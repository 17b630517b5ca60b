import { describe, expect, it } from 'vitest';
import { decodeG711, encodeG711 } from '../../../src/media/codecs/index.js';
import { countDifferences, ffmpegPipe, int16FromBuffer } from '../../helpers/tools.js';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('G.711 against ffmpeg', () => {
  for (const [law, fmt] of [['alaw', 'alaw'], ['ulaw', 'mulaw']] as const) {
    it(`${law}: all 256 codes decode exactly as ffmpeg -f ${fmt}`, () => {
      const reference = int16FromBuffer(ffmpegPipe(['-f', fmt, '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], ALL_CODES));
      const ours = decodeG711(law, ALL_CODES);
      const diff = countDifferences(ours, reference);
      console.log(`G.711 ${law} decode: ${diff.compared} samples compared, ${diff.differing} differing`);
      expect(diff.differing).toBe(0);
    });

    it(`${law}: every 16-bit value encodes into its G.711 decision interval (reconstruction value at the interval's centre)`, () => {
      const codes = encodeG711(law, ALL_SAMPLES);
      const decoded = decodeG711(law, codes);
      // Each code must own one contiguous run of input values, and its decoded value must be the centre of that run.
      const runs = new Map<number, [number, number]>();
      for (let i = 0; i < ALL_SAMPLES.length; i++) {
        const run = runs.get(codes[i]!);
        if (run) {
          expect(run[1]).toBe(i - 1);
          run[1] = i;
        } else runs.set(codes[i]!, [i, i]);
      }
      for (const [code, [lo, hi]] of runs) {
        const centre = (ALL_SAMPLES[lo]! + ALL_SAMPLES[hi]!) / 2;
        const value = decoded[lo]!;
        // The clipped outermost steps have no centre; µ-law splits the step around zero into +0 and -0.
        const edge = lo === 0 || hi === ALL_SAMPLES.length - 1 || value === 0;
        if (!edge) expect(Math.abs(value - centre), `code 0x${code.toString(16)}`).toBeLessThanOrEqual(1);
      }
      // ffmpeg's pcm encoders round decision levels on a 14-bit grid; report how far that is from the Recommendation's levels.
      const fmpeg = ffmpegPipe(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-c:a', `pcm_${fmt}`, '-f', fmt, 'pipe:1'], new Uint8Array(ALL_SAMPLES.buffer));
      const diff = countDifferences(codes, fmpeg);
      let oneStep = 0;
      for (let i = 0; i < codes.length; i++) if (codes[i] !== fmpeg[i] && Math.abs(decoded[i]! - decodeG711(law, fmpeg.subarray(i, i + 1))[0]!) > 0) oneStep++;
      console.log(`G.711 ${law} encode: ${runs.size} codes, ${diff.differing} of 65536 inputs coded one step apart from ffmpeg's rounded table (all at decision boundaries)`);
      expect(oneStep).toBe(diff.differing);
    });

    it(`${law}: decode(encode(decode(c))) is the identity on decoded values`, () => {
      const decoded = decodeG711(law, ALL_CODES);
      expect(Array.from(decodeG711(law, encodeG711(law, decoded)))).toEqual(Array.from(decoded));
    });
  }
});
