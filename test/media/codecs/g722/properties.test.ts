/** Properties of the G.722 codec that need no reference output. */
import { describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder, G722StreamDecoder, decodeG722, encodeG722 } from '../../../../src/media/codecs/g722/index.js';
import type { G722Mode } from '../../../../src/media/codecs/g722/index.js';
import { ANTILOG, LOWER_DECISION_LEVELS, LOWER_INVERSE_4, LOWER_INVERSE_5, QMF_COEFFICIENTS } from '../../../../src/media/codecs/g722/tables.js';
import { seededBytes, seededGenerator } from './random.js';

function sameSamples(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tonePcm(samples: number): Int16Array {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(9000 * Math.sin(i * 0.07) + 5000 * Math.sin(i * 1.9));
  return pcm;
}

describe('G.722 decoder fuzz (seeded random octets)', () => {
  for (const mode of [64, 56, 48] as const) {
    it(`${mode} kbit/s: 200 random packets of 0–400 octets decode without exceptions, in range, 2 samples per octet`, () => {
      const next = seededGenerator(1000 + mode);
      const decoder = new G722Decoder(mode);
      let samples = 0;
      let outOfRange = 0;
      for (let packet = 0; packet < 200; packet++) {
        const payload = seededBytes(next() % 401, next());
        const out = decoder.decode(payload);
        expect(out).toBeInstanceOf(Int16Array);
        expect(out.length).toBe(2 * payload.length);
        for (const x of out) if (!(Number.isInteger(x) && x >= -32768 && x <= 32767)) outOfRange++;
        samples += out.length;
      }
      expect(outOfRange).toBe(0);
      expect(samples).toBeGreaterThan(20_000);
    });
  }

  it('an empty payload gives an empty result and leaves the state alone', () => {
    const bytes = seededBytes(500, 3);
    const decoder = new G722Decoder();
    const first = decoder.decode(bytes.subarray(0, 250)).slice();
    expect(decoder.decode(new Uint8Array(0)).length).toBe(0);
    const second = decoder.decode(bytes.subarray(250)).slice();
    expect(sameSamples([...first, ...second], decodeG722(bytes))).toBe(true);
  });
});

describe('G.722 modes (Recommendation: the 56 and 48 kbit/s modes only drop the lowest lower-band bits)', () => {
  const bitstream = encodeG722(tonePcm(16000));

  it('56 kbit/s decoding ignores bit 0 of every octet; 48 kbit/s ignores bits 0 and 1', () => {
    const noise = seededBytes(bitstream.length, 56);
    const flipped1 = bitstream.map((b, i) => b ^ (noise[i]! & 1));
    const flipped2 = bitstream.map((b, i) => b ^ (noise[i]! & 3));
    expect(sameSamples(decodeG722(flipped1, 56), decodeG722(bitstream, 56))).toBe(true);
    expect(sameSamples(decodeG722(flipped2, 48), decodeG722(bitstream, 48))).toBe(true);
    // …while 64 kbit/s does use those bits.
    expect(sameSamples(decodeG722(flipped1, 64), decodeG722(bitstream, 64))).toBe(false);
  });

  it('the modes share one predictor: each mode differs from 64 kbit/s only by a bounded lower-band refinement', () => {
    const full = decodeG722(bitstream, 64);
    for (const mode of [56, 48] as const) {
      const reduced = decodeG722(bitstream, mode);
      let worst = 0;
      for (let i = 0; i < full.length; i++) worst = Math.max(worst, Math.abs(full[i]! - reduced[i]!));
      // A coarser inverse quantiser, not a diverging decoder: the error stays far below the signal (peak 14 000).
      expect(worst).toBeGreaterThan(0);
      expect(worst).toBeLessThan(mode === 56 ? 2000 : 4000);
    }
  });

  it('encoding at 56 / 48 kbit/s sends the 64 kbit/s codes with the data-channel bits cleared', () => {
    const pcm = tonePcm(8000);
    const full = encodeG722(pcm, 64);
    expect(sameSamples(encodeG722(pcm, 56), full.map((b) => b & 0xfe))).toBe(true);
    expect(sameSamples(encodeG722(pcm, 48), full.map((b) => b & 0xfc))).toBe(true);
  });

  it('an unknown mode is refused', () => {
    expect(() => new G722Decoder(32 as G722Mode)).toThrow(/64, 56 or 48/);
    expect(() => new G722Encoder(63 as G722Mode)).toThrow(/64, 56 or 48/);
  });
});

describe('G.722 state handling', () => {
  it('reset() returns decoder and encoder to the state of a new one', () => {
    const bytes = seededBytes(1000, 11);
    const decoder = new G722Decoder();
    decoder.decode(seededBytes(777, 12));
    decoder.reset();
    expect(sameSamples(decoder.decode(bytes), decodeG722(bytes))).toBe(true);

    const pcm = tonePcm(3000);
    const encoder = new G722Encoder();
    encoder.encode(tonePcm(1001)); // leaves an odd sample pending, which reset() must drop too
    encoder.reset();
    const again = encoder.encode(pcm);
    expect(sameSamples(again, encodeG722(pcm))).toBe(true);
  });

  it('chunks larger than the internal block, after an odd chunk, encode and decode as the whole buffer does', () => {
    const pcm = tonePcm(40_000);
    const whole = encodeG722(pcm);
    const encoder = new G722Encoder();
    const parts: number[] = [];
    let at = 0;
    for (const size of [1, 10_001, 8_193, 3, 21_802]) {
      parts.push(...encoder.encode(pcm.subarray(at, at + size)));
      at += size;
    }
    expect(at).toBe(pcm.length);
    expect(sameSamples(parts, whole)).toBe(true);

    const decoder = new G722Decoder();
    const decoded = [...decoder.decode(whole.subarray(0, 9_999)), ...decoder.decode(whole.subarray(9_999))];
    expect(sameSamples(decoded, decodeG722(whole))).toBe(true);
  });

  it('a too-small output buffer is refused with the sizes named', () => {
    expect(() => new G722Decoder().decode(new Uint8Array(10), new Int16Array(19))).toThrow(/19 samples, 20 needed/);
    expect(() => new G722Encoder().encode(new Int16Array(10), new Uint8Array(4))).toThrow(/4 octets, 5 needed/);
  });

  it('a larger output buffer is filled from the start and a view of the decoded part returned', () => {
    const out = new Int16Array(100).fill(7);
    const view = new G722Decoder().decode(seededBytes(10, 5), out);
    expect(view.length).toBe(20);
    expect(view.buffer).toBe(out.buffer);
    expect(out[20]).toBe(7);
  });

  it('encode → decode round trip keeps a tone (SNR above 35 dB after the 22-sample codec delay)', () => {
    const pcm = new Int16Array(16000);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(10000 * Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const decoded = decodeG722(encodeG722(pcm));
    // End-to-end delay of the transmit and receive QMFs with this framing: 22 samples.
    let signal = 0;
    let error = 0;
    for (let i = 2000; i < pcm.length; i++) {
      signal += pcm[i - 22]! ** 2;
      error += (decoded[i]! - pcm[i - 22]!) ** 2;
    }
    expect(10 * Math.log10(signal / error)).toBeGreaterThan(35);
  });
});

describe('G.722 StreamDecoder adapter', () => {
  it('decodes payloads in sequence like the streaming decoder, conceals with silence and resets', () => {
    const bytes = seededBytes(480, 21);
    const stream = new G722StreamDecoder();
    expect([stream.codec, stream.sampleRate, stream.rtpClockRate]).toEqual(['g722', 16000, 8000]);
    const parts = [stream.decode(bytes.subarray(0, 160)).slice(), stream.decode(bytes.subarray(160, 480)).slice()];
    expect(sameSamples([...parts[0]!, ...parts[1]!], decodeG722(bytes))).toBe(true);
    const gap = stream.conceal(320, 'lost');
    expect(gap.length).toBe(320);
    expect(gap.every((x) => x === 0)).toBe(true);
    gap.fill(5);
    expect(stream.conceal(10, 'dtx').every((x) => x === 0)).toBe(true);
    stream.reset();
    expect(sameSamples(stream.decode(bytes.subarray(0, 160)), decodeG722(bytes.subarray(0, 160)))).toBe(true);
  });
});

describe('G.722 tables agree with the relations the Recommendation states', () => {
  it('ILB(i) = 2048 · 2^(i/32) rounded', () => {
    expect([...ANTILOG]).toEqual(Array.from({ length: 32 }, (_, i) => Math.round(2048 * 2 ** (i / 32))));
  });

  it('QQ5 and QQ4 outputs are the 6-bit decision levels of the merged intervals', () => {
    const q5 = [...new Set([...LOWER_INVERSE_5].map(Math.abs))].sort((a, b) => a - b);
    expect(q5).toEqual(LOWER_DECISION_LEVELS.filter((_, i) => i % 2 === 1));
    const q4 = [...new Set([...LOWER_INVERSE_4].map(Math.abs))].filter((x) => x > 0).sort((a, b) => a - b);
    expect(q4).toEqual(LOWER_DECISION_LEVELS.filter((_, i) => i > 0 && i % 4 === 0));
  });

  it('the QMF is symmetric and its even and odd halves each sum to 4096', () => {
    expect([...QMF_COEFFICIENTS].reverse()).toEqual([...QMF_COEFFICIENTS]);
    expect(QMF_COEFFICIENTS.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0)).toBe(4096);
    expect(QMF_COEFFICIENTS.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)).toBe(4096);
  });
});
