// One memory budget for the tracks of a capture: thousands of streams written side by side stay within it, and
// every sample reads back exactly, in memory or from the spill file.
import { describe, expect, it } from 'vitest';
import { SampleTrack, TRACK_BLOCK_SAMPLES, TrackMemory } from '../../src/audio/index.js';
import { mulberry32 } from '../../src/util/index.js';

/** The sample a track holds at a position: a function of both, so any mix-up between tracks or blocks shows. */
function sampleAt(track: number, position: number): number {
  return ((track * 7919 + position * 31) % 65536) - 32768;
}

describe('TrackMemory', () => {
  it('2,000 tracks written side by side, 160 samples at a time: resident blocks never exceed the budget, every sample reads back', () => {
    const memory = new TrackMemory({ maxResidentBytes: 256 * TRACK_BLOCK_SAMPLES * 2 });
    const tracks = Array.from({ length: 2000 }, () => new SampleTrack({ memory }));
    const length = 3 * TRACK_BLOCK_SAMPLES + 500;
    const chunk = new Int16Array(160);
    for (let position = 0; position < length; position += 160) {
      tracks.forEach((track, t) => {
        for (let i = 0; i < 160; i++) chunk[i] = sampleAt(t, position + i);
        track.write(position, chunk);
      });
      expect(memory.residentBlocks).toBeLessThanOrEqual(256);
    }
    expect(memory.peakResidentBlocks).toBeLessThanOrEqual(256);
    // Read back in an order unlike the writing one: tracks at random, whole.
    const random = mulberry32(7);
    const order = tracks.map((_, t) => t).sort(() => random() - 0.5);
    const out = new Int16Array(length);
    for (const t of order.slice(0, 300)) {
      tracks[t]!.read(0, out);
      for (let p = 0; p < length; p++) {
        if (out[p] !== (p < Math.ceil(length / 160) * 160 ? sampleAt(t, p) : 0)) throw new Error(`track ${t} sample ${p}: ${out[p]}`);
      }
      expect(memory.residentBlocks).toBeLessThanOrEqual(256);
    }
    for (const track of tracks) track.dispose();
    expect(memory.residentBlocks).toBe(0);
    memory.dispose();
  });

  it('a rewritten block that was spilled keeps its slot; gaps read as silence; disposing frees the slots for others', () => {
    const memory = new TrackMemory({ maxResidentBytes: 4 * TRACK_BLOCK_SAMPLES * 2 });
    const a = new SampleTrack({ memory });
    const b = new SampleTrack({ memory });
    const fill = (value: number, n: number) => new Int16Array(n).fill(value);
    a.write(0, fill(1, TRACK_BLOCK_SAMPLES));
    for (let i = 0; i < 10; i++) b.write(i * TRACK_BLOCK_SAMPLES, fill(i + 10, TRACK_BLOCK_SAMPLES));
    // a's block went to disk; writing into it brings it back and changes it.
    a.write(5, fill(7, 3));
    for (let i = 0; i < 10; i++) b.read(i * TRACK_BLOCK_SAMPLES, new Int16Array(4));
    expect(Array.from(a.read(3, new Int16Array(6)))).toEqual([1, 1, 7, 7, 7, 1]);
    expect(Array.from(a.read(3 * TRACK_BLOCK_SAMPLES, new Int16Array(3)))).toEqual([0, 0, 0]);
    b.dispose();
    const c = new SampleTrack({ memory });
    for (let i = 0; i < 10; i++) c.write(i * TRACK_BLOCK_SAMPLES, fill(i + 100, TRACK_BLOCK_SAMPLES));
    for (let i = 0; i < 10; i++) expect(c.read(i * TRACK_BLOCK_SAMPLES + 9, new Int16Array(1))[0]).toBe(i + 100);
    expect(a.read(4, new Int16Array(2))[1]).toBe(7);
    a.dispose();
    c.dispose();
    memory.dispose();
  });
});
