import { open } from 'node:fs/promises';
import { cipherFor, containerSize, HEADER_BYTES, movedFinalChunk, parseHeader, TAG_BYTES } from './container.js';
import type { ChunkCipher, ContainerHeader } from './container.js';
import { CryptoError, TamperedError, TruncatedError } from './errors.js';
import type { Keyring } from './keys.js';

/** Ciphertext read per system call when a read spans several chunks. */
const READ_BATCH = 1024 * 1024;

/** What the reader needs of a file: positional reads, its size, closing (a FileHandle, or an object in a bucket). */
export interface PositionalFile {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** An encrypted file opened for reading at any position (HTTP Range, seeking in a player). */
export interface EncryptedFile {
  readonly path: string;
  readonly header: ContainerHeader;
  readonly keyId: string;
  /** Bytes of plaintext; authentic, because the final chunk was verified on open. */
  readonly plaintextSize: number;
  readonly chunkCount: number;
  /** Up to `length` plaintext bytes from `position` (fewer at the end); decrypts and verifies only the chunks touched. */
  read(position: number, length: number): Promise<Buffer>;
  /** Plaintext from `start` to `end` (exclusive), one verified chunk at a time. */
  stream(start?: number, end?: number): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

async function readExactly(handle: PositionalFile, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new TruncatedError(`truncated: the file shrank while being read`);
    done += bytesRead;
  }
  return buffer;
}

class OpenedFile implements EncryptedFile {
  readonly keyId: string;
  readonly #stride: number;
  #cached: { index: number; plain: Buffer } | undefined;

  constructor(
    readonly path: string,
    readonly header: ContainerHeader,
    readonly plaintextSize: number,
    readonly chunkCount: number,
    private readonly handle: PositionalFile,
    private readonly cipher: ChunkCipher,
    private readonly lastChunkBytes: number,
  ) {
    this.keyId = header.keyId;
    this.#stride = header.chunkSize + TAG_BYTES;
  }

  async chunk(index: number): Promise<Buffer> {
    if (this.#cached?.index === index) return this.#cached.plain;
    const final = index === this.chunkCount - 1;
    const sealed = await readExactly(this.handle, final ? this.lastChunkBytes : this.#stride, HEADER_BYTES + index * this.#stride);
    const plain = this.cipher.open(index, final, sealed);
    this.#cached = { index, plain };
    return plain;
  }

  async read(position: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(position) || position < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`read position and length must be whole numbers ≥ 0, got ${position}, ${length}`);
    }
    const end = Math.min(this.plaintextSize, position + length);
    if (position >= end) return Buffer.alloc(0);
    const pieces: Buffer[] = [];
    for await (const piece of this.stream(position, end)) pieces.push(piece);
    return pieces.length === 1 ? Buffer.from(pieces[0]!) : Buffer.concat(pieces, end - position);
  }

  async *stream(start = 0, end = this.plaintextSize): AsyncGenerator<Buffer> {
    const stop = Math.min(end, this.plaintextSize);
    const size = this.header.chunkSize;
    try {
      for (let at = Math.max(0, start); at < stop; ) {
        const first = Math.floor(at / size);
        const last = Math.min(Math.floor((stop - 1) / size), first + Math.max(1, Math.floor(READ_BATCH / this.#stride)) - 1);
        for (const [index, plain] of await this.#chunks(first, last)) {
          const from = Math.max(0, at - index * size);
          const to = Math.min(plain.length, stop - index * size);
          yield plain.subarray(from, to);
          at = index * size + to;
        }
      }
    } catch (error) {
      if (error instanceof CryptoError) error.message = `${this.path}: ${error.message}`;
      throw error;
    }
  }

  /** Chunks first..last, read with one system call and each verified. */
  async #chunks(first: number, last: number): Promise<Array<[number, Buffer]>> {
    if (first === last) return [[first, await this.chunk(first)]];
    const begin = HEADER_BYTES + first * this.#stride;
    const finish = last === this.chunkCount - 1 ? HEADER_BYTES + last * this.#stride + this.lastChunkBytes : HEADER_BYTES + (last + 1) * this.#stride;
    const sealed = await readExactly(this.handle, finish - begin, begin);
    const out: Array<[number, Buffer]> = [];
    for (let index = first; index <= last; index++) {
      const offset = (index - first) * this.#stride;
      const final = index === this.chunkCount - 1;
      out.push([index, this.cipher.open(index, final, sealed.subarray(offset, Math.min(sealed.length, offset + this.#stride)))]);
    }
    this.#cached = { index: last, plain: out[out.length - 1]![1] };
    return out;
  }

  async close(): Promise<void> {
    this.#cached = undefined;
    await this.handle.close();
  }
}

/**
 * Open an encrypted file for random access. The header is read and the final chunk verified at once, so the
 * plaintext size is authentic and truncation or appended bytes are found before any read.
 */
export async function openEncryptedFile(source: string | { readonly file: PositionalFile; readonly path: string }, keyring: Keyring): Promise<EncryptedFile> {
  const path = typeof source === 'string' ? source : source.path;
  const handle = typeof source === 'string' ? await open(source, 'r') : source.file;
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, HEADER_BYTES));
    if (head.length > 0) await handle.read(head, 0, head.length, 0);
    const header = parseHeader(head);
    const cipher = cipherFor(header, keyring);
    const stride = header.chunkSize + TAG_BYTES;
    const body = size - HEADER_BYTES;
    if (header.plaintextSize !== undefined) {
      const expected = containerSize(header.plaintextSize, header.chunkSize);
      if (size > expected) throw new TamperedError(`tampered: ${size - expected} bytes after the end the header declares`);
      if (size < expected && body > 0) {
        // Short of the declared size: cut off, unless what ends the file is the real final chunk moved forward.
        const lastAt = Math.floor((body - 1) / stride);
        const tail = await readExactly(handle, body - lastAt * stride, HEADER_BYTES + lastAt * stride);
        if (movedFinalChunk(cipher, lastAt, tail)) throw new TamperedError('tampered: chunks are missing before the final chunk');
        // Prove the header (and so the size it declares) with the first chunk when it is all there.
        if (body >= stride) cipher.open(0, false, await readExactly(handle, stride, HEADER_BYTES));
        throw new TruncatedError(`truncated: ${size} of the ${expected} bytes the header declares`);
      }
    }
    if (body === 0) throw new TruncatedError('truncated: nothing after the header');
    const chunkCount = Math.ceil(body / stride);
    const lastChunkBytes = body - (chunkCount - 1) * stride;
    if (lastChunkBytes < TAG_BYTES) throw new TruncatedError(`truncated: chunk ${chunkCount - 1} is cut inside its tag`);
    const plaintextSize = (chunkCount - 1) * header.chunkSize + lastChunkBytes - TAG_BYTES;
    const file = new OpenedFile(path, header, plaintextSize, chunkCount, handle, cipher, lastChunkBytes);
    await file.chunk(chunkCount - 1);
    return file;
  } catch (error) {
    await handle.close();
    if (error instanceof CryptoError) error.message = `${path}: ${error.message}`;
    throw error;
  }
}
