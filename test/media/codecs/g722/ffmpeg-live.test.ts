/**
 * Wider comparisons with ffmpeg's adpcm_g722 run live (ffmpeg is a Debian
 * package CI installs): seeded random bitstreams in all three modes, and
 * seeded hostile PCM through the encoder. Nothing here is committed as a
 * fixture, so it can be large.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeG722, encodeG722 } from '../../../../src/media/codecs/g722/index.js';
import type { G722Mode } from '../../../../src/media/codecs/g722/index.js';
import { countDifferences, ffmpegPipe, int16FromBuffer, requireTool } from '../../../helpers/tools.js';
import { seededBytes, seededGenerator } from './random.js';

const BITS_PER_CODEWORD: Record<G722Mode, number> = { 64: 8, 56: 7, 48: 6 };

function ffmpegDecode(bitstream: Uint8Array, mode: G722Mode): Int16Array {
  return int16FromBuffer(ffmpegPipe(['-bits_per_codeword', String(BITS_PER_CODEWORD[mode]), '-f', 'g722', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], bitstream));
}

function ffmpegEncode(pcm: Int16Array): Uint8Array {
  return new Uint8Array(ffmpegPipe(['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', 'pipe:0', '-c:a', 'g722', '-f', 'g722', 'pipe:1'], new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)));
}

/** 8 s of 16 kHz PCM made to stress the encoder: full-scale noise, Nyquist-rate square, clicks, loud chirp, near-silence. */
function hostilePcm(seed: number): Int16Array {
  const next = seededGenerator(seed);
  const pcm = new Int16Array(8 * 16000);
  for (let i = 0; i < pcm.length; i++) {
    const second = Math.floor(i / 16000);
    let x: number;
    switch (second) {
      case 0: x = (next() & 0xffff) - 32768; break; // full-scale white noise
      case 1: x = (i & 1) === 0 ? 32767 : -32768; break; // 8 kHz square at full scale
      case 2: x = i % 400 === 0 ? 32767 : i % 400 === 200 ? -32768 : 0; break; // clicks
      case 3: x = Math.round(32767 * Math.sin(2 * Math.PI * (20 * (i / 16000) + 1000 * (i / 16000) ** 2))); break; // chirp
      case 4: x = (next() % 5) - 2; break; // a few LSBs of noise
      case 5: x = (i >> 3) & 1 ? 32767 : -32768; break; // 1 kHz square at full scale
      case 6: x = Math.round(20000 * Math.sin(i * 0.3) + 12000 * Math.sin(i * 2.9)); break; // loud two-tone with overflow headroom gone
      default: x = ((next() & 0xffff) - 32768) >> ((i >> 10) & 7); // bursts of noise at changing level
    }
    pcm[i] = Math.max(-32768, Math.min(32767, x));
  }
  return pcm;
}

beforeAll(() => {
  requireTool('ffmpeg');
});

describe('G.722 decoder against live ffmpeg on seeded random bitstreams', () => {
  const bitstream = seededBytes(20_000, 722);
  for (const mode of [64, 56, 48] as const) {
    it(`${mode} kbit/s: 40 000 samples from random octets equal ffmpeg -bits_per_codeword ${BITS_PER_CODEWORD[mode]}`, () => {
      const expected = ffmpegDecode(bitstream, mode);
      const ours = decodeG722(bitstream, mode);
      const result = countDifferences(ours, expected);
      process.stdout.write(`g722 random bitstream @${mode}: ${result.compared} samples compared, ${result.differing} differing\n`);
      expect(result).toEqual({ compared: 40_000, differing: 0, first: -1 });
    });
  }
});

describe('G.722 encoder against live ffmpeg on hostile PCM', () => {
  it('8 s of full-scale noise, squares, clicks and chirps: every octet equals ffmpeg', () => {
    const pcm = hostilePcm(2012);
    const result = countDifferences(encodeG722(pcm), ffmpegEncode(pcm));
    process.stdout.write(`g722 hostile encode: ${result.compared} octets compared, ${result.differing} differing\n`);
    expect(result).toEqual({ compared: pcm.length / 2, differing: 0, first: -1 });
  });

  it('an odd number of samples: the last one is repeated, as ffmpeg does', () => {
    const pcm = hostilePcm(7).subarray(0, 3201);
    const result = countDifferences(encodeG722(pcm), ffmpegEncode(pcm));
    expect(result).toEqual({ compared: 1601, differing: 0, first: -1 });
  });

  it('ffmpeg decodes our 56 and 48 kbit/s encodings as we do', () => {
    const pcm = hostilePcm(99).subarray(3 * 16000, 5 * 16000);
    for (const mode of [56, 48] as const) {
      const bitstream = encodeG722(pcm, mode);
      expect(countDifferences(decodeG722(bitstream, mode), ffmpegDecode(bitstream, mode)).differing).toBe(0);
    }
  });
});
