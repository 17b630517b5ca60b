/** The StreamDecoder adapter decodes payloads and fills gaps exactly like the frame API. */
import { describe, expect, it } from 'vitest';
import { G729Decoder, G729StreamDecoder, createG729StreamDecoder } from '../../../../src/media/codecs/g729/index.js';

function payload(seed: number, bytes: number): Uint8Array {
  const p = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) p[i] = (seed * 131 + i * 29) & 0xff;
  return p;
}

describe('G729StreamDecoder', () => {
  it('matches frame-by-frame decoding across payloads, losses and DTX gaps', () => {
    const s = createG729StreamDecoder();
    expect(s.codec).toBe('g729');
    expect(s.sampleRate).toBe(8000);
    expect(s.rtpClockRate).toBe(8000);
    const ref = new G729Decoder();
    const one = new Int16Array(80);
    const expectFrames = (got: Int16Array, frames: Array<Uint8Array | null>): void => {
      expect(got.length).toBe(frames.length * 80);
      frames.forEach((f, i) => {
        ref.decodeFrame(f, one);
        expect(Array.from(got.subarray(i * 80, i * 80 + 80))).toEqual(Array.from(one));
      });
    };
    const p1 = payload(1, 20);
    expectFrames(s.decode(p1), [p1.subarray(0, 10), p1.subarray(10)]);
    expectFrames(s.conceal(160, 'lost'), [null, null]);
    const p2 = payload(2, 12); // one speech frame + SID
    expectFrames(s.decode(p2), [p2.subarray(0, 10), p2.subarray(10)]);
    expectFrames(s.conceal(240, 'dtx'), [new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]);
    expect(s.conceal(100, 'lost').length).toBe(100);
  });

  it('reset() starts over', () => {
    const s = new G729StreamDecoder('g729a');
    const p = payload(3, 30);
    const first = Array.from(s.decode(p));
    s.reset();
    expect(Array.from(s.decode(p))).toEqual(first);
  });
});
