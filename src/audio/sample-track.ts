import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Samples per block: 2^13 = 1.02 s at 8 kHz. Small blocks keep a capture of thousands of calls cheap: each open stream needs one resident block. */
const BLOCK_SHIFT = 13;
export const TRACK_BLOCK_SAMPLES = 1 << BLOCK_SHIFT;
const BLOCK_MASK = TRACK_BLOCK_SAMPLES - 1;
const BLOCK_BYTES = TRACK_BLOCK_SAMPLES * 2;

export interface SampleTrackOptions {
  /** Blocks kept in memory before the oldest are spilled to a temporary file (default 512 ≈ 8 MB, 8.7 min at 8 kHz). Ignored with `memory`. */
  maxResidentBlocks?: number;
  /** Directory for the spill file (default the OS temp dir). Ignored with `memory`. */
  spillDir?: string;
  /** One memory budget and spill file shared by many tracks (all the streams of a capture). */
  memory?: TrackMemory;
}

/** Where a track keeps a block that is not resident. */
interface SpillTarget {
  write(slotHint: number | undefined, block: Int16Array): number;
  read(slot: number, block: Int16Array): void;
}

/** An unlinked temporary file of block-sized slots (a crash leaves nothing behind in the temp dir). */
class SpillFile {
  private fd = -1;
  private slots = 0;
  private readonly free: number[] = [];

  constructor(private readonly dir: string) {}

  /** Write a block to its slot (a new one if it has none yet); returns the slot. */
  write(slot: number | undefined, block: Int16Array): number {
    if (this.fd < 0) {
      const path = join(this.dir, `recorder-track-${process.pid}-${randomBytes(6).toString('hex')}.pcm`);
      this.fd = openSync(path, 'w+', 0o600);
      unlinkSync(path);
    }
    const target = slot ?? this.free.pop() ?? this.slots++;
    writeSync(this.fd, new Uint8Array(block.buffer, block.byteOffset, BLOCK_BYTES), 0, BLOCK_BYTES, target * BLOCK_BYTES);
    return target;
  }

  read(slot: number, block: Int16Array): void {
    readSync(this.fd, new Uint8Array(block.buffer, block.byteOffset, BLOCK_BYTES), 0, BLOCK_BYTES, slot * BLOCK_BYTES);
  }

  release(slots: Iterable<number>): void {
    for (const slot of slots) this.free.push(slot);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export interface TrackMemoryOptions {
  /** Resident sample memory for all the tracks together (default 64 MiB). */
  readonly maxResidentBytes?: number;
  readonly spillDir?: string;
}

/**
 * One memory budget for the tracks of a capture: resident blocks are counted across all tracks, and the least
 * recently used block of any track is spilled to one shared temporary file when the budget is full. Streams
 * write nearly in time order, so an open stream's current block stays hot and finished stretches of every call
 * move to disk: memory stays flat however many calls a capture holds.
 */
export class TrackMemory {
  readonly maxResidentBlocks: number;
  private readonly spill: SpillFile;
  /** Resident blocks in least-recently-used order (Map order), by key trackId * 2^32 + block index. */
  private readonly lru = new Map<number, { track: SampleTrack; index: number }>();
  private nextTrackId = 1;
  /** Most blocks resident at once (for tests and reports). */
  peakResidentBlocks = 0;

  constructor(options: TrackMemoryOptions = {}) {
    this.maxResidentBlocks = Math.max(4, Math.floor((options.maxResidentBytes ?? 64 * 1024 * 1024) / BLOCK_BYTES));
    this.spill = new SpillFile(options.spillDir ?? tmpdir());
  }

  get residentBlocks(): number {
    return this.lru.size;
  }

  /** @internal */
  register(): { id: number; target: SpillTarget } {
    return { id: this.nextTrackId++, target: this.spill };
  }

  /** @internal A block became resident: count it, and spill the least recently used ones over the budget. */
  admit(track: SampleTrack, trackId: number, index: number): void {
    this.lru.set(trackId * 4294967296 + index, { track, index });
    while (this.lru.size > this.maxResidentBlocks) {
      const [key, victim] = this.lru.entries().next().value as [number, { track: SampleTrack; index: number }];
      this.lru.delete(key);
      victim.track.spillBlock(victim.index);
    }
    if (this.lru.size > this.peakResidentBlocks) this.peakResidentBlocks = this.lru.size;
  }

  /** @internal A resident block was used: it becomes the most recently used. */
  touch(trackId: number, index: number): void {
    const key = trackId * 4294967296 + index;
    const entry = this.lru.get(key);
    if (entry) {
      this.lru.delete(key);
      this.lru.set(key, entry);
    }
  }

  /** @internal A track is gone: forget its resident blocks and free its spill slots. */
  forget(trackId: number, residentIndexes: Iterable<number>, slots: Iterable<number>): void {
    for (const index of residentIndexes) this.lru.delete(trackId * 4294967296 + index);
    this.spill.release(slots);
  }

  /** Close the spill file (after every track is disposed). */
  dispose(): void {
    this.lru.clear();
    this.spill.close();
  }
}

/**
 * A mono 16-bit track addressed by sample position, written in any order
 * (reordered packets land where they belong; gaps read as silence). Memory is
 * bounded: blocks beyond the track's own limit, or beyond the shared
 * TrackMemory budget, move to a temporary file, so a three-hour call (or a
 * capture of a thousand calls) does not sit in memory. Writes are nearly
 * monotonic in a capture, so evicting the oldest block is the right policy.
 */
export class SampleTrack {
  private readonly resident = new Map<number, Int16Array>();
  /** Spill-file slot of each block that has been written out. */
  private readonly spilled = new Map<number, number>();
  private readonly maxResident: number;
  private readonly memory: TrackMemory | undefined;
  private readonly id: number;
  private readonly target: SpillTarget & { release?: (slots: Iterable<number>) => void; close?: () => void };
  /** The block used last: most writes and reads hit it again, and then skip the map and the LRU. */
  private lastIndex = -1;
  private lastBlock: Int16Array | undefined;
  /** One past the highest sample position written. */
  length = 0;

  constructor(options: SampleTrackOptions = {}) {
    this.memory = options.memory;
    if (this.memory) {
      const registration = this.memory.register();
      this.id = registration.id;
      this.target = registration.target;
      this.maxResident = Number.POSITIVE_INFINITY;
    } else {
      this.id = 0;
      this.target = new SpillFile(options.spillDir ?? tmpdir());
      this.maxResident = Math.max(2, options.maxResidentBlocks ?? 512);
    }
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

  /** Release memory and the spill file (or, with shared memory, this track's part of it). */
  dispose(): void {
    if (this.memory) this.memory.forget(this.id, this.resident.keys(), this.spilled.values());
    else this.target.close?.();
    this.resident.clear();
    this.spilled.clear();
    this.lastIndex = -1;
    this.lastBlock = undefined;
  }

  /** @internal Write a resident block out and drop it from memory (the shared budget chose it). */
  spillBlock(index: number): void {
    const block = this.resident.get(index);
    if (!block) return;
    this.spilled.set(index, this.target.write(this.spilled.get(index), block));
    this.resident.delete(index);
    if (this.lastIndex === index) {
      this.lastIndex = -1;
      this.lastBlock = undefined;
    }
  }

  private blockFor(index: number, create: boolean): Int16Array | undefined {
    if (index === this.lastIndex) return this.lastBlock;
    let block = this.resident.get(index);
    if (block) {
      this.memory?.touch(this.id, index);
    } else {
      const slot = this.spilled.get(index);
      if (slot !== undefined) {
        block = new Int16Array(TRACK_BLOCK_SAMPLES);
        this.target.read(slot, block);
      } else if (create) {
        block = new Int16Array(TRACK_BLOCK_SAMPLES);
      } else {
        return undefined;
      }
      this.resident.set(index, block);
      if (this.memory) this.memory.admit(this, this.id, index);
      else this.evictIfNeeded(index);
      // admit() may have spilled this very block only if the budget is smaller than one block: not possible (≥ 4).
    }
    this.lastIndex = index;
    this.lastBlock = block;
    return block;
  }

  private evictIfNeeded(keep: number): void {
    while (this.resident.size > this.maxResident) {
      let victim = -1;
      for (const key of this.resident.keys()) if (key !== keep && (victim < 0 || key < victim)) victim = key;
      this.spillBlock(victim);
    }
  }
}
