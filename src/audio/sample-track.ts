import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Samples per block: 2^16 = 8.2 s at 8 kHz. */
const BLOCK_SHIFT = 16;
export const TRACK_BLOCK_SAMPLES = 1 << BLOCK_SHIFT;
const BLOCK_MASK = TRACK_BLOCK_SAMPLES - 1;
const BLOCK_BYTES = TRACK_BLOCK_SAMPLES * 2;

export interface SampleTrackOptions {
  /** Blocks kept in memory before the oldest are spilled to a temporary file (default 64 ≈ 8 MB, 8.7 min at 8 kHz). */
  maxResidentBlocks?: number;
  /** Directory for the spill file (default the OS temp dir). */
  spillDir?: string;
}

/**
 * A mono 16-bit track addressed by sample position, written in any order
 * (reordered packets land where they belong; gaps read as silence). Memory is
 * bounded: blocks beyond `maxResidentBlocks` move to a temporary file, so a
 * three-hour call does not sit in memory. Writes are nearly monotonic in a
 * capture, so evicting the lowest block is the right policy.
 */
export class SampleTrack {
  private readonly resident = new Map<number, Int16Array>();
  private readonly spilled = new Set<number>();
  private readonly maxResident: number;
  private readonly spillDir: string;
  private spillFd = -1;
  private spillPath = '';
  /** One past the highest sample position written. */
  length = 0;

  constructor(options: SampleTrackOptions = {}) {
    this.maxResident = Math.max(2, options.maxResidentBlocks ?? 64);
    this.spillDir = options.spillDir ?? tmpdir();
  }

  /** Copy `samples` to positions [position, position + samples.length). Negative positions are clipped. */
  write(position: number, samples: Int16Array): void {
    let src = 0;
    let pos = position;
    if (pos < 0) {
      src = -pos;
      pos = 0;
    }
    while (src < samples.length) {
      const block = this.blockFor(pos >>> BLOCK_SHIFT, true)!;
      const offset = pos & BLOCK_MASK;
      const count = Math.min(samples.length - src, TRACK_BLOCK_SAMPLES - offset);
      block.set(samples.subarray(src, src + count), offset);
      src += count;
      pos += count;
    }
    if (pos > this.length) this.length = pos;
  }

  /** Read samples [position, position + out.length) into `out` (silence where nothing was written). */
  read(position: number, out: Int16Array): Int16Array {
    let dst = 0;
    let pos = position;
    while (dst < out.length) {
      const offset = pos & BLOCK_MASK;
      const count = Math.min(out.length - dst, TRACK_BLOCK_SAMPLES - offset);
      const block = pos >= 0 ? this.blockFor(pos >>> BLOCK_SHIFT, false) : undefined;
      if (block) out.set(block.subarray(offset, offset + count), dst);
      else out.fill(0, dst, dst + count);
      dst += count;
      pos += count;
    }
    return out;
  }

  /** Release memory and the spill file. */
  dispose(): void {
    this.resident.clear();
    this.spilled.clear();
    if (this.spillFd >= 0) {
      closeSync(this.spillFd);
      this.spillFd = -1;
    }
  }

  private blockFor(index: number, create: boolean): Int16Array | undefined {
    let block = this.resident.get(index);
    if (block) return block;
    if (this.spilled.has(index)) {
      block = new Int16Array(TRACK_BLOCK_SAMPLES);
      readSync(this.spillFd, new Uint8Array(block.buffer), 0, BLOCK_BYTES, index * BLOCK_BYTES);
    } else if (create) {
      block = new Int16Array(TRACK_BLOCK_SAMPLES);
    } else {
      return undefined;
    }
    this.resident.set(index, block);
    this.evictIfNeeded(index);
    return block;
  }

  private evictIfNeeded(keep: number): void {
    while (this.resident.size > this.maxResident) {
      let victim = -1;
      for (const key of this.resident.keys()) if (key !== keep && (victim < 0 || key < victim)) victim = key;
      const block = this.resident.get(victim)!;
      if (this.spillFd < 0) {
        this.spillPath = join(this.spillDir, `recorder-track-${process.pid}-${randomBytes(6).toString('hex')}.pcm`);
        this.spillFd = openSync(this.spillPath, 'w+', 0o600);
        // Unlinked at once: the open descriptor keeps it, and a crash leaves nothing behind in the temp dir.
        unlinkSync(this.spillPath);
      }
      writeSync(this.spillFd, new Uint8Array(block.buffer), 0, BLOCK_BYTES, victim * BLOCK_BYTES);
      this.spilled.add(victim);
      this.resident.delete(victim);
    }
  }
}
