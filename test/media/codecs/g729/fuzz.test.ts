/**
 * Robustness: random speech frames and random mixes of speech / SID / untransmitted /
 * erased frames never throw, always give 80 samples per frame, and decode deterministically.
 */
import { describe, expect, it } from 'vitest';
import { G729Decoder } from '../../../../src/media/codecs/g729/index.js';
import type { G729Variant } from '../../../../src/media/codecs/g729/index.js';
import { xorshift32 } from '../../../../src/platform/util/index.js';

const rng = xorshift32;

type Frame = Uint8Array | null;

function randomFrames(seed: number, count: number, mixed: boolean): Frame[] {
  const next = rng(seed);
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const kind = mixed ? next() % 8 : 0;
    if (kind <= 3) {
      const f = new Uint8Array(10);
      for (let j = 0; j < 10; j++) f[j] = next() & 0xff;
      frames.push(f);
    } else if (kind === 4 || kind === 5) frames.push(Uint8Array.of(next() & 0xff, next() & 0xfe));
    else if (kind === 6) frames.push(new Uint8Array(0));
    else frames.push(null);
  }
  return frames;
}

function decodeAll(frames: Frame[], variant: G729Variant): { out: Int16Array; peak: number } {
  const d = new G729Decoder({ variant });
  const out = new Int16Array(frames.length * 80);
  for (let i = 0; i < frames.length; i++) d.decodeFrame(frames[i]!, out, i * 80);
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  return { out, peak };
}

describe('G.729 decoder robustness', () => {
  for (const variant of ['g729', 'g729a'] as const) {
    it(`${variant}: random speech frames`, () => {
      const frames = randomFrames(0x1234 + variant.length, 300, false);
      const a = decodeAll(frames, variant);
      expect(a.out.length).toBe(300 * 80);
      expect(a.peak).toBeLessThanOrEqual(32768);
      expect(a.peak).toBeGreaterThan(0);
      expect(decodeAll(frames, variant).out).toEqual(a.out);
    });

    it(`${variant}: random mixes of speech, SID, untransmitted and erased frames`, () => {
      for (let seed = 1; seed <= 3; seed++) {
        const frames = randomFrames(seed * 7919, 300, true);
        const a = decodeAll(frames, variant);
        expect(a.out.length).toBe(300 * 80);
        expect(a.peak).toBeLessThanOrEqual(32768);
        expect(decodeAll(frames, variant).out).toEqual(a.out);
      }
    });
  }

  it('reset() returns to the initial state', () => {
    const frames = randomFrames(99, 50, true);
    const d = new G729Decoder();
    const first = new Int16Array(50 * 80);
    const second = new Int16Array(50 * 80);
    frames.forEach((f, i) => d.decodeFrame(f, first, i * 80));
    d.reset();
    frames.forEach((f, i) => d.decodeFrame(f, second, i * 80));
    expect(second).toEqual(first);
  });

  it('frames of an unexpected length are concealed like lost frames', () => {
    const a = new G729Decoder();
    const b = new G729Decoder();
    const outA = new Int16Array(80);
    const outB = new Int16Array(80);
    const speech = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    a.decodeFrame(speech, outA);
    b.decodeFrame(speech, outB);
    a.decodeFrame(new Uint8Array(7), outA);
    b.decodeFrame(null, outB);
    expect(outA).toEqual(outB);
  });

  it('rejects an unknown variant', () => {
    expect(() => new G729Decoder({ variant: 'g729x' as G729Variant })).toThrow(RangeError);
  });
});
