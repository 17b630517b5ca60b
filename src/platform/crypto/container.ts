import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { NotEncryptedError, TamperedError, TruncatedError, UnknownKeyError, UnsupportedFormatError } from './errors.js';
import { KEY_ID_BYTES, keyMaterial } from './keys.js';
import type { Key, Keyring } from './keys.js';

// Byte layout and reasons: src/platform/crypto/README.md.

/** First 8 bytes of every encrypted file: a non-ASCII byte, "RECENC", a newline (catches text-mode mangling). */
export const CONTAINER_MAGIC: Buffer = Buffer.from([0x89, 0x52, 0x45, 0x43, 0x45, 0x4e, 0x43, 0x0a]);
export const CONTAINER_VERSION = 1;
/** Cipher suite 1: per-file key by HKDF-SHA-256 from the master key and the file salt; AES-256-GCM chunks, 16-byte tags. */
export const SUITE_AES_256_GCM_HKDF_SHA256 = 1;
export const HEADER_BYTES = 64;
export const TAG_BYTES = 16;
export const SALT_BYTES = 32;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const MIN_CHUNK_SIZE = 16;
/** Upper bound a reader accepts, so a hostile header cannot make it allocate gigabytes. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
const FILE_KEY_INFO = Buffer.from('recorder container v1 file key', 'latin1');
const NONCE_BYTES = 12;
/** Plaintext size field value meaning "not known when the header was written" (a stream of unknown length). */
const SIZE_UNKNOWN = 0xffffffffffffffffn;

/** What the header of an encrypted file says. */
export interface ContainerHeader {
  readonly version: number;
  readonly suite: number;
  /** Plaintext bytes per chunk (all chunks but the final one are exactly this long). */
  readonly chunkSize: number;
  /** Id of the master key, 16 hex digits. */
  readonly keyId: string;
  readonly salt: Buffer;
  /** Plaintext bytes, when known as the header was written: lets a reader tell truncation from tampering. */
  readonly plaintextSize: number | undefined;
  /** The 64 header bytes as stored: every chunk authenticates them. */
  readonly bytes: Buffer;
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be a whole number of bytes from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}, got ${chunkSize}`);
  }
}

/** Bytes of the container for a plaintext of `plaintextSize` bytes (there is always at least one chunk). */
export function containerSize(plaintextSize: number, chunkSize: number): number {
  return HEADER_BYTES + plaintextSize + Math.max(1, Math.ceil(plaintextSize / chunkSize)) * TAG_BYTES;
}

export function encodeHeader(keyId: string, chunkSize: number, salt: Buffer, plaintextSize?: number): ContainerHeader {
  checkChunkSize(chunkSize);
  if (plaintextSize !== undefined && (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0)) throw new RangeError(`plaintext size must be a whole number ≥ 0, got ${plaintextSize}`);
  const bytes = Buffer.alloc(HEADER_BYTES);
  CONTAINER_MAGIC.copy(bytes, 0);
  bytes[8] = CONTAINER_VERSION;
  bytes[9] = SUITE_AES_256_GCM_HKDF_SHA256;
  bytes.writeUInt16BE(0, 10);
  bytes.writeUInt32BE(chunkSize, 12);
  Buffer.from(keyId, 'hex').copy(bytes, 16, 0, KEY_ID_BYTES);
  salt.copy(bytes, 24, 0, SALT_BYTES);
  bytes.writeBigUInt64BE(plaintextSize === undefined ? SIZE_UNKNOWN : BigInt(plaintextSize), 56);
  return { version: CONTAINER_VERSION, suite: SUITE_AES_256_GCM_HKDF_SHA256, chunkSize, keyId, salt: bytes.subarray(24, 56), plaintextSize, bytes };
}

/** True when the bytes start with the container magic (enough to tell an encrypted file from audio). */
export function hasContainerMagic(bytes: Uint8Array): boolean {
  if (bytes.length < CONTAINER_MAGIC.length) return false;
  for (let i = 0; i < CONTAINER_MAGIC.length; i++) if (bytes[i] !== CONTAINER_MAGIC[i]) return false;
  return true;
}

/**
 * Read a header. `complete` says whether `bytes` is everything there is: a short header is then truncated
 * (magic present) or not ours (magic absent). The fields are checked here; their authenticity only when a chunk opens.
 */
export function parseHeader(bytes: Uint8Array): ContainerHeader {
  const magicBytes = Math.min(bytes.length, CONTAINER_MAGIC.length);
  for (let i = 0; i < magicBytes; i++) if (bytes[i] !== CONTAINER_MAGIC[i]) throw new NotEncryptedError();
  if (bytes.length < CONTAINER_MAGIC.length) throw new NotEncryptedError(`not an encrypted file: ${bytes.length} bytes, shorter than the magic`);
  if (bytes.length < HEADER_BYTES) throw new TruncatedError(`truncated: ${bytes.length} bytes, the header alone is ${HEADER_BYTES}`);
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const version = header[8]!;
  const suite = header[9]!;
  if (version !== CONTAINER_VERSION) throw new UnsupportedFormatError(`container version ${version} is not supported (this build reads ${CONTAINER_VERSION})`);
  if (suite !== SUITE_AES_256_GCM_HKDF_SHA256) throw new UnsupportedFormatError(`cipher suite ${suite} is not supported`);
  if (header.readUInt16BE(10) !== 0) throw new UnsupportedFormatError('reserved header flags are set');
  const chunkSize = header.readUInt32BE(12);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new UnsupportedFormatError(`chunk size ${chunkSize} out of range`);
  const declared = header.readBigUInt64BE(56);
  if (declared !== SIZE_UNKNOWN && declared > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnsupportedFormatError(`plaintext size ${declared} out of range`);
  const plaintextSize = declared === SIZE_UNKNOWN ? undefined : Number(declared);
  const own = Buffer.from(header); // own copy: callers may reuse their buffer
  return { version, suite, chunkSize, keyId: own.toString('hex', 16, 24), salt: own.subarray(24, 56), plaintextSize, bytes: own };
}

/** Seals and opens the chunks of one file under its derived key. */
export class ChunkCipher {
  readonly header: ContainerHeader;
  readonly #fileKey: Buffer;
  readonly #nonce = Buffer.alloc(NONCE_BYTES);
  readonly #aad: Buffer;

  constructor(header: ContainerHeader, masterKey: Key) {
    this.header = header;
    // A fresh 256-bit salt per file gives every file its own AES key, so the chunk counter alone is a unique nonce.
    this.#fileKey = Buffer.from(hkdfSync('sha256', keyMaterial(masterKey), header.salt, FILE_KEY_INFO, 32));
    this.#aad = Buffer.alloc(HEADER_BYTES + 9);
    header.bytes.copy(this.#aad, 0);
  }

  #prepare(index: number, final: boolean): void {
    // Nonce: 4 zero bytes, then the chunk index as 64-bit big-endian. AAD: header ‖ index ‖ final flag.
    const high = Math.floor(index / 2 ** 32);
    const low = index >>> 0;
    this.#nonce.writeUInt32BE(high, 4);
    this.#nonce.writeUInt32BE(low, 8);
    this.#aad.writeUInt32BE(high, HEADER_BYTES);
    this.#aad.writeUInt32BE(low, HEADER_BYTES + 4);
    this.#aad[HEADER_BYTES + 8] = final ? 1 : 0;
  }

  /** Ciphertext followed by its 16-byte tag, as two pieces (saves copying each chunk once more). */
  sealPieces(index: number, final: boolean, plaintext: Uint8Array): [Buffer, Buffer] {
    this.#prepare(index, final);
    const cipher = createCipheriv('aes-256-gcm', this.#fileKey, this.#nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.#aad);
    const body = cipher.update(plaintext);
    cipher.final(); // GCM is a stream mode: final() returns nothing more
    return [body, cipher.getAuthTag()];
  }

  /** Ciphertext followed by its 16-byte tag. */
  seal(index: number, final: boolean, plaintext: Uint8Array): Buffer {
    return Buffer.concat(this.sealPieces(index, final, plaintext), plaintext.length + TAG_BYTES);
  }

  /** The plaintext of a sealed chunk, or undefined when it does not authenticate at this index/finality. */
  tryOpen(index: number, final: boolean, sealed: Uint8Array): Buffer | undefined {
    if (sealed.length < TAG_BYTES) return undefined;
    this.#prepare(index, final);
    const decipher = createDecipheriv('aes-256-gcm', this.#fileKey, this.#nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(this.#aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      body.fill(0);
      return undefined;
    }
    return body;
  }

  /** Open a chunk; throws TamperedError, or TruncatedError when a chunk expected final is a valid non-final one. */
  open(index: number, final: boolean, sealed: Uint8Array): Buffer {
    const plain = this.tryOpen(index, final, sealed);
    if (plain) return plain;
    if (final && sealed.length === this.header.chunkSize + TAG_BYTES && this.tryOpen(index, false, sealed)) {
      throw new TruncatedError(`truncated: the file ends after chunk ${index}, which is not the final one`);
    }
    throw new TamperedError(`tampered or wrong key: chunk ${index} does not authenticate`);
  }
}

/** Whether `piece`, found at chunk position `index`, is in fact the final chunk the header declares (chunks were removed). */
export function movedFinalChunk(cipher: ChunkCipher, index: number, piece: Uint8Array): boolean {
  const declared = cipher.header.plaintextSize;
  if (declared === undefined) return false;
  const lastIndex = Math.max(1, Math.ceil(declared / cipher.header.chunkSize)) - 1;
  return lastIndex > index && cipher.tryOpen(lastIndex, true, piece) !== undefined;
}

/** The cipher for a header, looking its key up in the keyring. */
export function cipherFor(header: ContainerHeader, keyring: Keyring): ChunkCipher {
  const key = keyring.get(header.keyId);
  if (!key) throw new UnknownKeyError(header.keyId);
  return new ChunkCipher(header, key);
}

export interface SealOptions {
  /** Plaintext bytes per chunk; default 64 KiB. */
  readonly chunkSize?: number;
  /**
   * The plaintext's size, when known before it is read (files, buffers). Recorded in the header so that a reader
   * can say "truncated" for a file cut anywhere; the sealer refuses a plaintext of any other size.
   */
  readonly plaintextSize?: number;
}

/**
 * Cuts a byte stream into chunks of one size, holding the last full chunk back until more bytes show that it is
 * not the final one (the final chunk is sealed and opened differently). Whole chunks in the caller's buffer are
 * passed on without a copy.
 */
class HeldBackChunks {
  readonly #pending: Buffer;
  #filled = 0;

  constructor(readonly size: number) {
    this.#pending = Buffer.alloc(size);
  }

  /** Passes each chunk of `data` (from `offset`) known not to be the final one to `each`. */
  push(data: Uint8Array, offset: number, each: (chunk: Uint8Array) => void): void {
    const size = this.size;
    while (offset < data.length) {
      if (this.#filled === size) {
        each(this.#pending);
        this.#filled = 0;
      }
      if (this.#filled === 0 && data.length - offset > size) {
        each(data.subarray(offset, offset + size));
        offset += size;
        continue;
      }
      const take = Math.min(size - this.#filled, data.length - offset);
      this.#pending.set(data.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
    }
  }

  /** What is held back: the final chunk once the stream has ended. */
  get held(): Buffer {
    return this.#pending.subarray(0, this.#filled);
  }

  wipe(): void {
    this.#pending.fill(0);
  }
}

/** Incremental encryption with constant memory: feed plaintext pieces, collect the container's bytes. */
export class ContainerSealer {
  readonly #cipher: ChunkCipher;
  readonly #chunks: HeldBackChunks;
  #index = 0;
  #headerSent = false;
  #finished = false;
  readonly #declared: number | undefined;
  plaintextBytes = 0;
  outputBytes = 0;

  constructor(key: Key, options: SealOptions = {}) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.#cipher = new ChunkCipher(encodeHeader(key.id, chunkSize, randomBytes(SALT_BYTES), options.plaintextSize), key);
    this.#declared = options.plaintextSize;
    this.#chunks = new HeldBackChunks(chunkSize);
  }

  get keyId(): string {
    return this.#cipher.header.keyId;
  }

  #emit(out: Buffer[], piece: Buffer): void {
    out.push(piece);
    this.outputBytes += piece.length;
  }

  #start(out: Buffer[]): void {
    if (this.#headerSent) return;
    this.#headerSent = true;
    this.#emit(out, this.#cipher.header.bytes);
  }

  update(data: Uint8Array): Buffer[] {
    if (this.#finished) throw new Error('sealer already finished');
    const out: Buffer[] = [];
    this.#start(out);
    this.plaintextBytes += data.length;
    if (this.#declared !== undefined && this.plaintextBytes > this.#declared) {
      throw new RangeError(`the plaintext grew past its declared ${this.#declared} bytes (input changed while being encrypted?)`);
    }
    this.#chunks.push(data, 0, (chunk) => this.#emitChunk(out, chunk));
    return out;
  }

  #emitChunk(out: Buffer[], plaintext: Uint8Array): void {
    for (const piece of this.#cipher.sealPieces(this.#index++, false, plaintext)) this.#emit(out, piece);
  }

  final(): Buffer[] {
    if (this.#finished) return [];
    if (this.#declared !== undefined && this.plaintextBytes !== this.#declared) {
      throw new RangeError(`the plaintext has ${this.plaintextBytes} bytes, ${this.#declared} were declared (input changed while being encrypted?)`);
    }
    const out: Buffer[] = [];
    this.#start(out);
    for (const piece of this.#cipher.sealPieces(this.#index++, true, this.#chunks.held)) this.#emit(out, piece);
    this.#chunks.wipe();
    this.#finished = true;
    return out;
  }
}

/** Incremental decryption: feed container bytes, collect verified plaintext. The last chunk is held back until the end shows it final. */
export class ContainerOpener {
  readonly #keyring: Keyring;
  #header: Buffer = Buffer.alloc(0);
  #cipher: ChunkCipher | undefined;
  #chunks = new HeldBackChunks(0);
  #index = 0;
  /** Container bytes the header's plaintext size implies, when it declares one. */
  #expectedBytes: number | undefined;
  plaintextBytes = 0;
  containerBytes = 0;

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  get header(): ContainerHeader | undefined {
    return this.#cipher?.header;
  }

  update(data: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    this.containerBytes += data.length;
    if (!this.#cipher) {
      const need = HEADER_BYTES - this.#header.length;
      this.#header = Buffer.concat([this.#header, data.subarray(0, need)]);
      offset = Math.min(need, data.length);
      if (this.#header.length < HEADER_BYTES) {
        if (!hasContainerMagic(this.#header) && this.#header.length >= CONTAINER_MAGIC.length) throw new NotEncryptedError();
        return out;
      }
      this.#cipher = cipherFor(parseHeader(this.#header), this.#keyring);
      this.#chunks = new HeldBackChunks(this.#cipher.header.chunkSize + TAG_BYTES);
      const declared = this.#cipher.header.plaintextSize;
      if (declared !== undefined) this.#expectedBytes = containerSize(declared, this.#cipher.header.chunkSize);
    }
    if (this.#expectedBytes !== undefined && this.containerBytes > this.#expectedBytes) {
      throw new TamperedError(`tampered: bytes after the end the header declares (${this.#expectedBytes} bytes)`);
    }
    const cipher = this.#cipher;
    this.#chunks.push(data, offset, (chunk) => out.push(this.#deliver(cipher.open(this.#index++, false, chunk))));
    return out;
  }

  #deliver(plain: Buffer): Buffer {
    this.plaintextBytes += plain.length;
    return plain;
  }

  final(): Buffer[] {
    if (!this.#cipher) {
      parseHeader(this.#header); // throws: not ours or truncated
      throw new TruncatedError();
    }
    if (this.#expectedBytes !== undefined && this.containerBytes < this.#expectedBytes) {
      // Short of the declared size: cut off, unless what ends the file is the real final chunk moved forward.
      if (movedFinalChunk(this.#cipher, this.#index, this.#chunks.held)) {
        throw new TamperedError('tampered: chunks are missing before the final chunk');
      }
      // Every chunk before the cut has authenticated (and with it the header's size), unless the cut is in chunk 0.
      throw new TruncatedError(`truncated: ${this.containerBytes} of the ${this.#expectedBytes} bytes the header declares`);
    }
    const held = this.#chunks.held;
    if (held.length < TAG_BYTES) {
      throw new TruncatedError(held.length === 0 ? 'truncated: nothing after the header' : `truncated: chunk ${this.#index} is cut inside its tag`);
    }
    return [this.#deliver(this.#cipher.open(this.#index++, true, held))];
  }
}
