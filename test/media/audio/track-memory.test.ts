// One memory budget for the tracks of a capture: thousands of streams written side by side stay within it, and
// every sample reads back exactly, in memory or from the spill file.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SampleTrack, TRACK_BLOCK_SAMPLES, TrackMemory, readStereoFrames } from '../../../src/media/audio/index.js';
import { decodeG711 } from '../../../src/media/codecs/index.js';
import type { G711Law } from '../../../src/media/codecs/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';

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

  // G.711 is kept coded (a byte a sample) and decoded when read. A plain array that takes every write decoded is
  // the model: whatever mix of laws, PCM writes, overlaps, holes and spills, the track must read back the same.
  for (const [name, budgetBlocks, seed, encryptSpill] of [
    ['in memory', 1024, 11, false],
    ['spilling (a budget of four blocks)', 4, 12, false],
    ['spilling, another order', 4, 13, false],
    ['spilling encrypted', 4, 14, true],
  ] as const) {
    it(`G.711 kept coded reads back as its decoding, sample for sample: random writes ${name}`, () => {
      const memory = new TrackMemory({ maxResidentBytes: budgetBlocks * TRACK_BLOCK_SAMPLES * 2, encryptSpill });
      const random = mulberry32(seed);
      const length = 12 * TRACK_BLOCK_SAMPLES;
      const tracks = [new SampleTrack({ memory }), new SampleTrack({ memory })];
      const models = [new Int16Array(length), new Int16Array(length)];
      const laws: G711Law[] = ['alaw', 'ulaw'];
      let position = [0, 37];
      // Few enough writes that holes stay (about two thirds of each track is written).
      for (let step = 0; step < 500; step++) {
        const t = random() < 0.5 ? 0 : 1;
        const track = tracks[t]!;
        const model = models[t]!;
        const roll = random();
        // Mostly 160-byte packets in order, with holes (loss), steps back (reordering), a law change, PCM now and then.
        let at = position[t]!;
        if (roll < 0.05) at += Math.floor(random() * 3000);
        else if (roll < 0.1) at -= Math.floor(random() * 2000);
        at = Math.max(0, Math.min(length - 400, at));
        const size = roll < 0.15 ? 1 + Math.floor(random() * 400) : 160;
        if (roll > 0.97) {
          const samples = Int16Array.from({ length: size }, () => Math.floor(random() * 65536) - 32768);
          track.write(at, samples);
          model.set(samples, at);
        } else {
          const law = roll > 0.95 ? laws[1 - (t % 2)]! : laws[t % 2]!;
          const codes = Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
          track.writeG711(at, codes, law);
          model.set(decodeG711(law, codes), at);
        }
        position[t] = at + size;
        if (position[t]! >= length - 400) position[t] = Math.floor(random() * 1000);
      }
      for (let t = 0; t < 2; t++) {
        // Read into garbage: silence must be written, not assumed.
        const back = new Int16Array(length + 100).fill(12345);
        tracks[t]!.read(-50, back);
        for (let p = -50; p < length + 50; p++) {
          const expected = p >= 0 && p < length ? models[t]![p]! : 0;
          if (back[p + 50] !== expected) throw new Error(`track ${t} sample ${p}: ${back[p + 50]} instead of ${expected}`);
        }
      }
      // Both tracks as stereo frames, in chunks that do not line up with the blocks.
      const frames = new Uint32Array(length);
      const scratch = [new Int16Array(TRACK_BLOCK_SAMPLES).fill(-7), new Int16Array(TRACK_BLOCK_SAMPLES).fill(-7)] as const;
      for (let p = 0; p < length; p += 5000) {
        readStereoFrames(tracks[0]!, tracks[1]!, p, frames.subarray(p, Math.min(length, p + 5000)), scratch[0], scratch[1]);
      }
      for (let p = 0; p < length; p++) {
        const expected = ((models[0]![p]! & 0xffff) | (models[1]![p]! << 16)) >>> 0;
        if (frames[p] !== expected) throw new Error(`stereo frame ${p}: ${frames[p]!.toString(16)} instead of ${expected.toString(16)}`);
      }
      expect(memory.peakResidentBytes).toBeLessThanOrEqual(budgetBlocks * TRACK_BLOCK_SAMPLES * 2);
      for (const track of tracks) track.dispose();
      expect(memory.residentBytes).toBe(0);
      memory.dispose();
    });
  }

  it('a G.711 block takes half the memory of a block of samples: an hour of two A-law streams stays within 64 MiB without spilling', () => {
    const memory = new TrackMemory({ maxResidentBytes: 64 * 1024 * 1024 });
    const tracks = [new SampleTrack({ memory }), new SampleTrack({ memory })];
    const packet = new Uint8Array(160).fill(0xd5);
    for (let position = 0; position < 3600 * 8000; position += 160) for (const track of tracks) track.writeG711(position, packet, 'alaw');
    expect(memory.peakResidentBytes).toBeLessThanOrEqual(3600 * 8000 * 2 + 2 * TRACK_BLOCK_SAMPLES);
    expect(memory.residentBlocks).toBe(2 * Math.ceil((3600 * 8000) / TRACK_BLOCK_SAMPLES));
    for (const track of tracks) track.dispose();
    memory.dispose();
  });

  it('with encryption on, the spill file holds no audio readable: the same blocks spilled in plain show their bytes', () => {
    /** The bytes of this process's (unlinked) spill files, read through /proc. */
    const spilled = (): Buffer => {
      const parts: Buffer[] = [];
      for (const fd of readdirSync('/proc/self/fd')) {
        let target = '';
        try {
          target = readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          continue;
        }
        if (target.includes('recorder-track-')) parts.push(readFileSync(`/proc/self/fd/${fd}`));
      }
      return Buffer.concat(parts);
    };
    const marker = Buffer.from('SPOKEN-WORDS-MARKER:');
    const codes = new Uint8Array(TRACK_BLOCK_SAMPLES);
    for (let i = 0; i < codes.length; i++) codes[i] = marker[i % marker.length]!;
    for (const encryptSpill of [false, true]) {
      const memory = new TrackMemory({ maxResidentBytes: 4 * TRACK_BLOCK_SAMPLES * 2, encryptSpill });
      const track = new SampleTrack({ memory });
      for (let block = 0; block < 20; block++) track.writeG711(block * TRACK_BLOCK_SAMPLES, codes, 'alaw');
      const onDisk = spilled();
      expect(onDisk.length).toBeGreaterThan(10 * TRACK_BLOCK_SAMPLES);
      expect(onDisk.includes(marker), `encryptSpill ${encryptSpill}`).toBe(!encryptSpill);
      const back = track.read(0, new Int16Array(20 * TRACK_BLOCK_SAMPLES));
      const expected = decodeG711('alaw', codes);
      for (let p = 0; p < back.length; p++) if (back[p] !== expected[p % TRACK_BLOCK_SAMPLES]) throw new Error(`sample ${p}`);
      track.dispose();
      memory.dispose();
    }
  });
});
