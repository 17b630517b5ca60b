import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, randomBytes } from 'node:crypto';
import { ALAW_DECODE_TABLE, ULAW_DECODE_TABLE, decodeG711 } from '../codecs/g711/index.js';
import type { G711Law } from '../codecs/g711/index.js';

/** Samples per block: 2^13 = 1.02 s at 8 kHz. Small blocks keep a capture of thousands of calls cheap: each open stream needs one resident block. */
const BLOCK_SHIFT = 13;
export const TRACK_BLOCK_SAMPLES = 1 << BLOCK_SHIFT;
const BLOCK_MASK = TRACK_BLOCK_SAMPLES - 1;
/** Bytes of a block of 16-bit samples, and of a block of G.711 codes. */
const PCM_BLOCK_BYTES = TRACK_BLOCK_SAMPLES * 2;
const CODED_BLOCK_BYTES = TRACK_BLOCK_SAMPLES;
/** A coded block written in more pieces than this (a stream full of holes) is decoded: its range list stays short. */
const MAX_CODED_RANGES = 8;
/** Blocks are carved from slabs: one allocation per 64 blocks instead of one each. */
const SLAB_BYTES = 1 << 20;

export interface SampleTrackOptions {
  /** Blocks kept in memory before the oldest are spilled to a temporary file (default 512 ≈ 8 MB, 8.7 min at 8 kHz). Ignored with `memory`. */
  maxResidentBlocks?: number;
  /** Directory for the spill file (default the OS temp dir). Ignored with `memory`. */
  spillDir?: string;
  /** One memory budget and spill file shared by many tracks (all the streams of a capture). */
  memory?: TrackMemory;
}

/**
 * An unlinked temporary file of block-sized slots (a crash leaves nothing behind in the temp dir). With a key,
 * every slot is written encrypted (AES-256-CTR under a key that exists only in this process's memory, a fresh
 * counter range per write): while encryption is on, decoded or coded audio never reaches the disk readable.
 */
class SpillFile {
  private fd = -1;
  private slots = 0;
  private readonly free: number[] = [];
  private readonly key: Buffer | undefined;
  private readonly iv = Buffer.alloc(16);

  constructor(
    private readonly dir: string,
    encrypt: boolean,
  ) {
    this.key = encrypt ? randomBytes(32) : undefined;
  }

  /** Write a block's bytes (at most a slot) to its slot (a new one if it has none yet); returns the slot. `nonce` must be new for every write. */
  write(slot: number, bytes: Uint8Array, nonce: number): number {
    if (this.fd < 0) {
      const path = join(this.dir, `recorder-track-${process.pid}-${randomBytes(6).toString('hex')}.pcm`);
      this.fd = openSync(path, 'w+', 0o600);
      unlinkSync(path);
    }
    const target = slot >= 0 ? slot : (this.free.pop() ?? this.slots++);
    const data = this.key ? this.crypt(bytes, nonce) : bytes;
    writeSync(this.fd, data, 0, data.length, target * PCM_BLOCK_BYTES);
    return target;
  }

  read(slot: number, bytes: Uint8Array, nonce: number): void {
    readSync(this.fd, bytes, 0, bytes.length, slot * PCM_BLOCK_BYTES);
    if (this.key) bytes.set(this.crypt(bytes, nonce));
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.key?.fill(0);
  }

  /** CTR is its own inverse. The nonce fills the counter's high half, so no two writes share a keystream block. */
  private crypt(bytes: Uint8Array, nonce: number): Buffer {
    this.iv.fill(0);
    this.iv.writeUIntBE(nonce, 2, 6);
    const cipher = createCipheriv('aes-256-ctr', this.key!, this.iv);
    return cipher.update(bytes);
  }
}

/**
 * One block of a track, in one of two forms: 16-bit samples, or — while every write to it was G.711 of one law —
 * the G.711 codes as received plus the ranges written (no code decodes to silence in A-law, so the ranges say
 * where the silence is). G.711 is most of what a recorder stores: kept coded, a block takes half the memory and
 * half the spill, and is decoded once, while the recording is written.
 */
class TrackBlock {
  samples: Int16Array | undefined;
  codes: Uint8Array | undefined;
  law: G711Law = 'alaw';
  /** Written ranges of a coded block: sorted, disjoint, non-adjacent [start, end) pairs. */
  ranges: number[] = [];
  /** Spill-file slot once written out (kept when it comes back: a rewrite reuses it), else -1. */
  slot = -1;
  /** The number of the write that put it there (its encryption counter). */
  spillNonce = 0;
  /** Form of the block while it is spilled. */
  spilledCoded = false;

  get resident(): boolean {
    return this.samples !== undefined || this.codes !== undefined;
  }

  get bytes(): number {
    return this.samples !== undefined ? PCM_BLOCK_BYTES : this.codes !== undefined ? CODED_BLOCK_BYTES : 0;
  }
}

export interface TrackMemoryOptions {
  /** Resident sample memory for all the tracks together (default 64 MiB). */
  readonly maxResidentBytes?: number;
  readonly spillDir?: string;
  /** Encrypt what is spilled (under a key held only in memory): set while encryption is on. */
  readonly encryptSpill?: boolean;
}

/**
 * One memory budget for the tracks of a capture: resident bytes are counted across all tracks, and the least
 * recently used block of any track is spilled to one shared temporary file when the budget is full. Streams
 * write nearly in time order, so an open stream's current block stays hot and finished stretches of every call
 * move to disk: memory stays flat however many calls a capture holds. Spilled blocks' memory is used again for
 * new blocks (fresh memory costs a page fault per 4 KiB on first touch).
 */
export class TrackMemory {
  readonly maxResidentBytes: number;
  private readonly spill: SpillFile;
  /** Resident blocks in least-recently-used order (Map order), by key trackId * 2^32 + block index. */
  private readonly lru = new Map<number, { track: SampleTrack; index: number }>();
  private nextTrackId = 1;
  private spillWrites = 0;
  private freePcm: Int16Array[] = [];
  private freeCoded: Uint8Array[] = [];
  private slab: ArrayBuffer | undefined;
  private slabUsed = SLAB_BYTES;
  /** Bytes of the resident blocks now, and at most (for tests and reports). */
  residentBytes = 0;
  peakResidentBytes = 0;
  /** Most blocks resident at once. */
  peakResidentBlocks = 0;

  constructor(options: TrackMemoryOptions = {}) {
    this.maxResidentBytes = Math.max(4 * PCM_BLOCK_BYTES, options.maxResidentBytes ?? 64 * 1024 * 1024);
    this.spill = new SpillFile(options.spillDir ?? tmpdir(), options.encryptSpill === true);
  }

  get residentBlocks(): number {
    return this.lru.size;
  }

  /** @internal */
  register(): number {
    return this.nextTrackId++;
  }

  /** @internal Zeroed memory for a block of samples. */
  takePcm(): Int16Array {
    const reused = this.freePcm.pop();
    if (reused) return reused.fill(0);
    return new Int16Array(this.carve(PCM_BLOCK_BYTES), this.slabUsed - PCM_BLOCK_BYTES, TRACK_BLOCK_SAMPLES);
  }

  /** @internal Memory for a block of G.711 codes (its contents are undefined outside the ranges written). */
  takeCoded(): Uint8Array {
    return this.freeCoded.pop() ?? new Uint8Array(this.carve(CODED_BLOCK_BYTES), this.slabUsed - CODED_BLOCK_BYTES, CODED_BLOCK_BYTES);
  }

  /** @internal A block's memory is free again. */
  give(block: TrackBlock): void {
    if (block.samples) this.freePcm.push(block.samples);
    if (block.codes) this.freeCoded.push(block.codes);
    block.samples = undefined;
    block.codes = undefined;
  }

  /** @internal A block became resident (or grew from coded to samples): count it, and spill the least recently used ones over the budget. */
  admit(track: SampleTrack, trackId: number, index: number, bytes: number): void {
    const key = trackId * 4294967296 + index;
    if (!this.lru.has(key)) this.lru.set(key, { track, index });
    this.residentBytes += bytes;
    while (this.residentBytes > this.maxResidentBytes && this.lru.size > 1) {
      const [victimKey, victim] = this.lru.entries().next().value as [number, { track: SampleTrack; index: number }];
      if (victimKey === key) {
        // The block being admitted is the oldest (it grew): it stays; the next oldest goes.
        this.lru.delete(key);
        this.lru.set(key, victim);
        continue;
      }
      this.lru.delete(victimKey);
      this.residentBytes -= victim.track.spillBlock(victim.index);
    }
    if (this.residentBytes > this.peakResidentBytes) this.peakResidentBytes = this.residentBytes;
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

  /** @internal A track is gone: forget its blocks, free their memory and spill slots. */
  forget(trackId: number, blocks: Map<number, TrackBlock>): void {
    for (const [index, block] of blocks) {
      if (block.resident) {
        this.residentBytes -= block.bytes;
        this.lru.delete(trackId * 4294967296 + index);
        this.give(block);
      }
      if (block.slot >= 0) this.spill.release(block.slot);
    }
  }

  /** @internal Write a block's bytes to the spill file, remembering where and under which counter. */
  writeSpill(block: TrackBlock, bytes: Uint8Array): void {
    block.spillNonce = ++this.spillWrites;
    block.slot = this.spill.write(block.slot, bytes, block.spillNonce);
  }

  /** @internal */
  readSpill(block: TrackBlock, bytes: Uint8Array): void {
    this.spill.read(block.slot, bytes, block.spillNonce);
  }

  /** Close the spill file and drop the memory (after every track is disposed). */
  dispose(): void {
    this.lru.clear();
    this.residentBytes = 0;
    this.freePcm = [];
    this.freeCoded = [];
    this.slab = undefined;
    this.slabUsed = SLAB_BYTES;
    this.spill.close();
  }

  private carve(bytes: number): ArrayBuffer {
    if (this.slab === undefined || this.slabUsed + bytes > SLAB_BYTES) {
      this.slab = new ArrayBuffer(SLAB_BYTES);
      this.slabUsed = 0;
    }
    this.slabUsed += bytes;
    return this.slab;
  }
}

function bytesOf(block: TrackBlock): Uint8Array {
  const samples = block.samples;
  if (samples) return new Uint8Array(samples.buffer, samples.byteOffset, PCM_BLOCK_BYTES);
  return block.codes!;
}

/**
 * A mono 16-bit track addressed by sample position, written in any order
 * (reordered packets land where they belong; gaps read as silence). Memory is
 * bounded: blocks beyond the track's own limit, or beyond the shared
 * TrackMemory budget, move to a temporary file, so a three-hour call (or a
 * capture of a thousand calls) does not sit in memory. Writes are nearly
 * monotonic in a capture, so evicting the least recently used block is the right policy.
 */
export class SampleTrack {
  private readonly blocks = new Map<number, TrackBlock>();
  private readonly memory: TrackMemory;
  /** A track made without shared memory owns its own (and closes it on dispose). */
  private readonly ownsMemory: boolean;
  private readonly id: number;
  /** The block used last: most writes and reads hit it again, and then skip the map and the LRU. */
  private lastIndex = -1;
  private lastBlock: TrackBlock | undefined;
  /** One past the highest sample position written. */
  length = 0;

  constructor(options: SampleTrackOptions = {}) {
    this.ownsMemory = options.memory === undefined;
    this.memory =
      options.memory ??
      new TrackMemory({ maxResidentBytes: Math.max(2, options.maxResidentBlocks ?? 512) * PCM_BLOCK_BYTES, ...(options.spillDir ? { spillDir: options.spillDir } : {}) });
    this.id = this.memory.register();
  }

  /** Copy `samples` to positions [position, position + samples.length). Negative positions are clipped. */
  write(position: number, samples: Int16Array): void {
    this.eachWriteSpan(position, samples.length, (index, offset, from, count) => {
      const block = this.residentBlock(index, true)!;
      if (block.samples === undefined) this.decodeBlock(index, block);
      block.samples!.set(count === samples.length ? samples : samples.subarray(from, from + count), offset);
    });
  }

  /**
   * Put G.711 `codes` (a payload as received) at positions [position, position + codes.length): the track keeps
   * them coded where it can and reads them back decoded, the same samples `write` of their decoding would give.
   */
  writeG711(position: number, codes: Uint8Array, law: G711Law): void {
    this.eachWriteSpan(position, codes.length, (index, offset, from, count) => {
      const block = this.residentBlock(index, law)!;
      if (block.codes !== undefined && block.law === law) {
        block.codes.set(count === codes.length ? codes : codes.subarray(from, from + count), offset);
        if (addRange(block.ranges, offset, offset + count) > MAX_CODED_RANGES) this.decodeBlock(index, block);
      } else {
        if (block.samples === undefined) this.decodeBlock(index, block);
        decodeG711(law, codes.subarray(from, from + count), block.samples!, offset);
      }
    });
  }

  /**
   * Splits the positions [position, position + length) at block boundaries, negative positions clipped, and calls
   * `put` for each piece (`from`: where it starts in the caller's data); then the track is at least that long.
   */
  private eachWriteSpan(position: number, length: number, put: (index: number, offset: number, from: number, count: number) => void): void {
    let from = position < 0 ? -position : 0;
    let pos = position < 0 ? 0 : position;
    while (from < length) {
      const offset = pos & BLOCK_MASK;
      const count = Math.min(length - from, TRACK_BLOCK_SAMPLES - offset);
      put(pos >>> BLOCK_SHIFT, offset, from, count);
      from += count;
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
      const block = pos >= 0 ? this.residentBlock(pos >>> BLOCK_SHIFT, false) : undefined;
      if (block === undefined) out.fill(0, dst, dst + count);
      else if (block.samples !== undefined) out.set(block.samples.subarray(offset, offset + count), dst);
      else decodeRanges(block, offset, offset + count, out, dst);
      dst += count;
      pos += count;
    }
    return out;
  }

  /** @internal The block holding [position, position + count) (one block) when it is G.711 codes written throughout. */
  codedRun(position: number, count: number): TrackBlock | undefined {
    const block = this.residentBlock(position >>> BLOCK_SHIFT, false);
    if (block === undefined || block.codes === undefined || block.ranges.length !== 2) return undefined;
    const offset = position & BLOCK_MASK;
    return block.ranges[0]! <= offset && block.ranges[1]! >= offset + count ? block : undefined;
  }

  /** Release memory and the spill file (or, with shared memory, this track's part of it). */
  dispose(): void {
    this.memory.forget(this.id, this.blocks);
    if (this.ownsMemory) this.memory.dispose();
    this.blocks.clear();
    this.lastIndex = -1;
    this.lastBlock = undefined;
  }

  /** @internal Write a resident block out and free its memory (the budget chose it); returns the bytes freed. */
  spillBlock(index: number): number {
    const block = this.blocks.get(index);
    if (!block || !block.resident) return 0;
    const bytes = block.bytes;
    block.spilledCoded = block.codes !== undefined;
    this.memory.writeSpill(block, bytesOf(block));
    this.memory.give(block);
    if (this.lastIndex === index) {
      this.lastIndex = -1;
      this.lastBlock = undefined;
    }
    return bytes;
  }

  /**
   * The block at `index`, brought back from the spill file if it was written out. `create` makes a missing block
   * (true: of samples; a law: of G.711 codes); without it a missing block is undefined (silence).
   */
  private residentBlock(index: number, create: boolean | G711Law): TrackBlock | undefined {
    if (index === this.lastIndex) return this.lastBlock;
    let block = this.blocks.get(index);
    if (block !== undefined && block.resident) {
      this.memory.touch(this.id, index);
    } else {
      if (block !== undefined) {
        // Spilled: read it back in the form it was written in.
        if (block.spilledCoded) block.codes = this.memory.takeCoded();
        else block.samples = this.memory.takePcm();
        this.memory.readSpill(block, bytesOf(block));
      } else if (create !== false) {
        block = new TrackBlock();
        if (create === true) block.samples = this.memory.takePcm();
        else {
          block.codes = this.memory.takeCoded();
          block.law = create;
        }
        this.blocks.set(index, block);
      } else {
        return undefined;
      }
      // The budget is at least four blocks, so admitting a block never spills the block itself.
      this.memory.admit(this, this.id, index, block.bytes);
    }
    this.lastIndex = index;
    this.lastBlock = block;
    return block;
  }

  /** Turn a coded block into samples (a write that is not G.711 of its law landed in it). */
  private decodeBlock(index: number, block: TrackBlock): void {
    const samples = this.memory.takePcm();
    if (block.codes !== undefined) decodeRanges(block, 0, TRACK_BLOCK_SAMPLES, samples, 0);
    this.memory.give(block);
    block.samples = samples;
    block.ranges = [];
    this.memory.admit(this, this.id, index, PCM_BLOCK_BYTES - CODED_BLOCK_BYTES);
  }
}

/** Add [start, end) to a sorted list of disjoint ranges, merging what it touches; returns the number of ranges. */
function addRange(ranges: number[], start: number, end: number): number {
  const n = ranges.length;
  // The usual case: the next packet continues the last range.
  if (n > 0 && ranges[n - 2]! <= start && start <= ranges[n - 1]!) {
    if (end > ranges[n - 1]!) ranges[n - 1] = end;
    return n >> 1;
  }
  const merged: number[] = [];
  let placed = false;
  for (let i = 0; i < n; i += 2) {
    const s = ranges[i]!;
    const e = ranges[i + 1]!;
    if (e < start) merged.push(s, e);
    else if (end < s) {
      if (!placed) merged.push(start, end);
      placed = true;
      merged.push(s, e);
    } else {
      start = Math.min(start, s);
      end = Math.max(end, e);
    }
  }
  if (!placed) merged.push(start, end);
  ranges.length = 0;
  for (const value of merged) ranges.push(value);
  return ranges.length >> 1;
}

/** Decode a coded block's samples [from, to) into out[at…]: the codes inside its ranges, silence outside. */
function decodeRanges(block: TrackBlock, from: number, to: number, out: Int16Array, at: number): void {
  const ranges = block.ranges;
  const codes = block.codes!;
  let done = from;
  for (let i = 0; i < ranges.length && done < to; i += 2) {
    const s = Math.max(ranges[i]!, done);
    const e = Math.min(ranges[i + 1]!, to);
    if (e <= s) continue;
    if (s > done) out.fill(0, at + done - from, at + s - from);
    decodeG711(block.law, codes.subarray(s, e), out, at + s - from);
    done = e;
  }
  if (done < to) out.fill(0, at + done - from, at + to - from);
}

/**
 * Stereo frames [position, position + frames.length) of two tracks as 32-bit words, left in the low half (WAV is
 * little-endian, and so is every host Node runs on). Where both tracks hold G.711 codes throughout — the common
 * call — decoding and interleaving are one pass over the codes. The scratch arrays hold a block's samples.
 */
export function readStereoFrames(left: SampleTrack, right: SampleTrack, position: number, frames: Uint32Array, scratchLeft: Int16Array, scratchRight: Int16Array): void {
  let done = 0;
  while (done < frames.length) {
    const pos = position + done;
    const offset = pos & BLOCK_MASK;
    const count = Math.min(frames.length - done, TRACK_BLOCK_SAMPLES - offset, scratchLeft.length, scratchRight.length);
    const l = pos >= 0 ? left.codedRun(pos, count) : undefined;
    const r = l !== undefined ? right.codedRun(pos, count) : undefined;
    // Loading the right block may have spilled the left one (its memory then went to the right block): check again.
    if (l !== undefined && r !== undefined && l.codes !== undefined) {
      interleaveCodes(l.codes, l.law === 'alaw' ? ALAW_DECODE_TABLE : ULAW_DECODE_TABLE, r.codes!, r.law === 'alaw' ? ALAW_DECODE_TABLE : ULAW_DECODE_TABLE, offset, count, frames, done);
    } else {
      const ls = left.read(pos, scratchLeft.subarray(0, count));
      const rs = right.read(pos, scratchRight.subarray(0, count));
      for (let i = 0; i < count; i++) frames[done + i] = (ls[i]! & 0xffff) | (rs[i]! << 16);
    }
    done += count;
  }
}

function interleaveCodes(left: Uint8Array, leftTable: Int16Array, right: Uint8Array, rightTable: Int16Array, offset: number, count: number, out: Uint32Array, at: number): void {
  for (let i = 0; i < count; i++) out[at + i] = (leftTable[left[offset + i]!]! & 0xffff) | (rightTable[right[offset + i]!]! << 16);
}
