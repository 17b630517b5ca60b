import { randomBytes } from 'node:crypto';
import { PartialFile } from '../util/index.js';
import type { LandingOptions } from '../util/index.js';
import { ChunkCipher, DEFAULT_CHUNK_SIZE, HEADER_BYTES, SALT_BYTES, TAG_BYTES, containerSize, encodeHeader } from './container.js';
import type { Key } from './keys.js';

/** Chunks at the start kept as plaintext in memory until commit: a writer patches its headers there at the end. */
const HELD_CHUNKS = 4;

/**
 * A file written like PartialFile (appends, header patches, landing under its name when complete), but sealed
 * as it is written: what reaches the disk is the encrypted container, never the plaintext. The first chunks stay
 * in memory until commit, so a WAV or MP3 writer can still patch its header at the end; every later chunk is
 * sealed and written once the next byte shows it is not the last.
 */
export class SealedPartialFile {
  private readonly file: PartialFile;
  private readonly cipher: ChunkCipher;
  private readonly chunkSize: number;
  private readonly held: Buffer;
  private readonly heldBytes: number;
  /** The chunk being filled past the held ones, and its index. */
  private readonly pending: Buffer;
  private pendingIndex = -1;
  private pendingFilled = 0;
  private finished = false;
  /** Plaintext bytes written so far (the append position). */
  position = 0;

  constructor(
    readonly path: string,
    key: Key,
    durable = true,
    landing: LandingOptions = {},
    chunkSize = DEFAULT_CHUNK_SIZE,
  ) {
    // The plaintext's size is not known yet: the header says so, and the final chunk's flag marks the end.
    this.cipher = new ChunkCipher(encodeHeader(key.id, chunkSize, randomBytes(SALT_BYTES)), key);
    this.chunkSize = chunkSize;
    this.heldBytes = HELD_CHUNKS * chunkSize;
    this.held = Buffer.alloc(this.heldBytes);
    this.pending = Buffer.alloc(chunkSize);
    this.file = new PartialFile(path, durable, { ...landing, permissions: landing.permissions ?? 0o600 });
  }

  get partialPath(): string {
    return this.file.partialPath;
  }

  /** Bytes the finished container takes on disk. */
  get storedBytes(): number {
    return containerSize(this.position, this.chunkSize);
  }

  append(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.position < this.heldBytes) {
        const take = Math.min(this.heldBytes - this.position, bytes.length - offset);
        this.held.set(bytes.subarray(offset, offset + take), this.position);
        offset += take;
        this.position += take;
        continue;
      }
      if (this.pendingIndex < 0 || this.pendingFilled === this.chunkSize) {
        // More data: the full chunk before it is not the last one.
        if (this.pendingIndex >= 0) this.writeChunk(this.pendingIndex, false, this.pending);
        this.pendingIndex = Math.floor(this.position / this.chunkSize);
        this.pendingFilled = 0;
      }
      const take = Math.min(this.chunkSize - this.pendingFilled, bytes.length - offset);
      this.pending.set(bytes.subarray(offset, offset + take), this.pendingFilled);
      this.pendingFilled += take;
      offset += take;
      this.position += take;
    }
  }

  /** Leave `bytes` bytes (zeros until patched) for a later writeAt. */
  skip(bytes: number): void {
    this.append(new Uint8Array(bytes));
  }

  /** Patch plaintext at `offset`: only where it is still in memory (the first chunks, or the chunk being filled). */
  writeAt(bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length;
    if (end > this.position) throw new RangeError(`${this.path}: a patch at ${offset} runs past the ${this.position} bytes written`);
    if (end <= this.heldBytes) {
      this.held.set(bytes, offset);
      return;
    }
    const pendingStart = this.pendingIndex * this.chunkSize;
    if (this.pendingIndex >= 0 && offset >= pendingStart) {
      this.pending.set(bytes, offset - pendingStart);
      return;
    }
    throw new RangeError(`${this.path}: bytes ${offset}–${end} are sealed already and cannot be patched`);
  }

  /** Seal what is still in memory, write the header, then fsync (when durable) and land like PartialFile. */
  commit(): void {
    if (this.finished) throw new Error(`${this.path}: already finished`);
    this.finished = true;
    try {
      const heldChunks = Math.max(1, Math.ceil(Math.min(this.position, this.heldBytes) / this.chunkSize));
      const pendingIsLast = this.pendingIndex >= 0;
      for (let index = 0; index < heldChunks; index++) {
        const start = index * this.chunkSize;
        const end = Math.min(start + this.chunkSize, this.position, this.heldBytes);
        this.writeChunk(index, !pendingIsLast && index === heldChunks - 1, this.held.subarray(start, end));
      }
      if (pendingIsLast) this.writeChunk(this.pendingIndex, true, this.pending.subarray(0, this.pendingFilled));
      this.file.writeAt(this.cipher.header.bytes, 0);
    } catch (error) {
      this.wipe();
      this.file.discard();
      throw error;
    }
    this.wipe();
    this.file.commit();
  }

  /** Abandon: nothing lands, the temporary file is removed. */
  discard(): void {
    if (!this.finished) this.file.discard();
    this.finished = true;
    this.wipe();
  }

  private writeChunk(index: number, final: boolean, plaintext: Uint8Array): void {
    const [body, tag] = this.cipher.sealPieces(index, final, plaintext);
    const at = HEADER_BYTES + index * (this.chunkSize + TAG_BYTES);
    this.file.writeAt(body, at);
    this.file.writeAt(tag, at + body.length);
  }

  private wipe(): void {
    this.held.fill(0);
    this.pending.fill(0);
  }
}
