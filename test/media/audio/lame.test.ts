import { createHash } from 'node:crypto';
import { Mp3Encoder } from '@breezystack/lamejs';
import { describe, expect, it } from 'vitest';
import { lameWasmReady, mp3EncoderAdaptations, mp3EncoderKind, openMp3Encoder, prepareLameWasm } from '../../../src/media/audio/index.js';
import type { Mp3EncoderStream } from '../../../src/media/audio/index.js';

/** A deterministic test signal: a tone plus pseudo-random noise, different per seed. */
function signal(frames: number, seed: number): [Int16Array, Int16Array] {
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  let s = seed >>> 0;
  for (let i = 0; i < frames; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    left[i] = Math.round(3000 * Math.sin(i * 0.013 * seed)) + ((s >>> 16) % 700) - 350;
    right[i] = Math.round(2000 * Math.sin(i * 0.021 * seed)) + ((s >>> 8) % 300) - 150;
  }
  return [left, right];
}

interface Encodable {
  encodeBuffer(left: Int16Array, right?: Int16Array): Int8Array | Uint8Array;
  flush(): Int8Array | Uint8Array;
}

/** Feed blocks of `block` frames, flush; SHA-256 of all bytes. */
function encodeAll(encoder: Encodable, channels: 1 | 2, [left, right]: [Int16Array, Int16Array], block: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < left.length; i += block) {
    const l = left.subarray(i, i + block);
    hash.update(channels === 2 ? encoder.encodeBuffer(l, right.subarray(i, i + block)) : encoder.encodeBuffer(l));
  }
  hash.update(encoder.flush());
  return hash.digest('hex');
}

const cases = [
  { channels: 2, rate: 8000, kbps: 32 },
  { channels: 1, rate: 8000, kbps: 24 },
  { channels: 2, rate: 16000, kbps: 48 },
  { channels: 1, rate: 16000, kbps: 32 },
  { channels: 2, rate: 8000, kbps: 64 },
] as const;

describe('MP3 encoder streams on reused lamejs module graphs', () => {
  it('the bundle of the installed lamejs is recognized (graph reuse is active)', () => {
    expect(mp3EncoderKind()).toBe('reused-graph');
  });

  it("lamejs's two bit-counter constructors keep their hidden class, and granule info copies 7 of its 8 arrays in place", () => {
    // If a lamejs upgrade reshapes these, encoding stays correct but slower: look again.
    expect(mp3EncoderAdaptations()).toEqual({ bitCounterShapes: 2, granuleFieldsInPlace: 7 });
  });

  it('a run of streams in turn gives byte-identical MP3 to fresh lamejs Mp3Encoders', () => {
    let compared = 0;
    for (let round = 0; round < 2; round++) {
      for (const [k, c] of cases.entries()) {
        const pcm = signal(c.rate * (2 + k), 7 * k + round + 1);
        const block = 1000 + 97 * k;
        const fresh = encodeAll(new Mp3Encoder(c.channels, c.rate, c.kbps) as unknown as Encodable, c.channels, pcm, block);
        const reused = encodeAll(openMp3Encoder(c.channels, c.rate, c.kbps, 'lamejs'), c.channels, pcm, block);
        expect(reused, `${c.channels} ch ${c.rate} Hz ${c.kbps} kbit/s, round ${round}`).toBe(fresh);
        compared++;
      }
    }
    expect(compared).toBe(10);
  });

  it('streams open at the same time, and a stream after an abandoned one, are unaffected', () => {
    const a = signal(8000 * 3, 11);
    const b = signal(8000 * 3, 12);
    const expectA = encodeAll(new Mp3Encoder(2, 8000, 32) as unknown as Encodable, 2, a, 1152);
    const expectB = encodeAll(new Mp3Encoder(2, 8000, 32) as unknown as Encodable, 2, b, 1152);
    // Abandon a stream half-way, then interleave two streams block by block.
    const dropped = openMp3Encoder(2, 8000, 32, 'lamejs');
    dropped.encodeBuffer(a[0].subarray(0, 4000), a[1].subarray(0, 4000));
    dropped.abandon();
    const streams: Mp3EncoderStream[] = [openMp3Encoder(2, 8000, 32, 'lamejs'), openMp3Encoder(2, 8000, 32, 'lamejs')];
    const hashes = [createHash('sha256'), createHash('sha256')];
    const inputs = [a, b];
    for (let i = 0; i < a[0].length; i += 1152) {
      for (let s = 0; s < 2; s++) {
        const [l, r] = inputs[s]!;
        hashes[s]!.update(streams[s]!.encodeBuffer(l.subarray(i, i + 1152), r.subarray(i, i + 1152)));
      }
    }
    for (let s = 0; s < 2; s++) hashes[s]!.update(streams[s]!.flush());
    expect(hashes[0]!.digest('hex')).toBe(expectA);
    expect(hashes[1]!.digest('hex')).toBe(expectB);
    expect(() => streams[0]!.flush()).toThrow(/already finished/);
  });
});

describe('MP3 encoder streams on LAME compiled to WebAssembly', () => {
  it('a thread that has not made one ready is told so by name, not given another encoder', () => {
    expect(lameWasmReady()).toBe(0);
    expect(() => openMp3Encoder(2, 8000, 32)).toThrow(/no MP3 encoder \(LAME WebAssembly\) ready in this thread: await prepareLameWasm\(\)/);
  });

  it('pooled encoders: any block size, an abandoned stream before, and streams in turn give the same bytes as a fresh instance', async () => {
    await prepareLameWasm(2);
    expect(lameWasmReady()).toBe(2);
    for (const [k, c] of cases.entries()) {
      const pcm = signal(c.rate * 2, 5 * k + 3);
      const first = encodeAll(openMp3Encoder(c.channels, c.rate, c.kbps), c.channels, pcm, 1152);
      const dropped = openMp3Encoder(c.channels, c.rate, c.kbps);
      dropped.encodeBuffer(pcm[0].subarray(0, 3000), c.channels === 2 ? pcm[1].subarray(0, 3000) : undefined);
      dropped.abandon();
      expect(encodeAll(openMp3Encoder(c.channels, c.rate, c.kbps), c.channels, pcm, 1000 + 97 * k), `${c.channels} ch ${c.rate} Hz ${c.kbps} kbit/s`).toBe(first);
    }
    // Two streams open at once take both encoders; a third is refused until one is finished.
    const a = openMp3Encoder(2, 8000, 32);
    const b = openMp3Encoder(2, 8000, 32);
    expect(() => openMp3Encoder(2, 8000, 32)).toThrow(/not .*ready|no MP3 encoder/);
    a.flush();
    b.abandon();
    expect(lameWasmReady()).toBe(2);
    expect(() => a.flush()).toThrow(/already finished/);
    // 56 kbit/s (one of ours) is refused by name, before an encoder is taken; lamejs writes it.
    expect(() => openMp3Encoder(2, 8000, 56)).toThrow(/56 kbit\/s is not a rate the WebAssembly LAME encoder takes/);
    expect(lameWasmReady()).toBe(2);
    expect(openMp3Encoder(2, 8000, 56, 'lamejs').flush()).toBeInstanceOf(Int8Array);
  });
});
