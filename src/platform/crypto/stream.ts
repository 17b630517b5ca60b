import { createHash } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { ContainerOpener, ContainerSealer } from './container.js';
import type { SealOptions } from './container.js';
import type { Keyring } from './keys.js';
import { OutputExistsError, landFile, partialPathFor } from '../util/index.js';
import type { LandingOptions } from '../util/index.js';

const READ_BLOCK = 1024 * 1024;

/** Something that turns input pieces into output pieces, then flushes: a ContainerSealer or ContainerOpener. */
interface PieceTransform {
  update(data: Uint8Array): Buffer[];
  final(): Buffer[];
}

function nodeTransform(inner: PieceTransform): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      try {
        for (const piece of inner.update(chunk)) this.push(piece);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        for (const piece of inner.final()) this.push(piece);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

/** A Transform that turns plaintext into a container under the keyring's current key. */
export function createEncryptStream(keyring: Keyring, options: SealOptions = {}): Transform {
  return nodeTransform(new ContainerSealer(keyring.current, options));
}

/**
 * A Transform that turns a container into plaintext, chunk by chunk as each authenticates. It errors (typed
 * CryptoError) on the first bad chunk; what it already passed on is authentic, but only the end of the stream
 * proves nothing was cut — so write to a temporary file and keep it only when the stream ends cleanly.
 */
export function createDecryptStream(keyring: Keyring): Transform {
  return nodeTransform(new ContainerOpener(keyring));
}

/** Encrypt an async iterable of plaintext pieces (constant memory). */
export async function* encryptIterable(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, keyring: Keyring, options: SealOptions = {}): AsyncGenerator<Buffer> {
  const sealer = new ContainerSealer(keyring.current, options);
  for await (const piece of source) yield* sealer.update(piece);
  yield* sealer.final();
}

/** Decrypt an async iterable of container pieces; throws a CryptoError on the first bad chunk. */
export async function* decryptIterable(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, keyring: Keyring): AsyncGenerator<Buffer> {
  const opener = new ContainerOpener(keyring);
  for await (const piece of source) yield* opener.update(piece);
  yield* opener.final();
}

/** Encrypt bytes held in memory (sidecars, small files). */
export function encryptBytes(plaintext: Uint8Array, keyring: Keyring, options: SealOptions = {}): Buffer {
  const sealer = new ContainerSealer(keyring.current, { plaintextSize: plaintext.length, ...options });
  return Buffer.concat([...sealer.update(plaintext), ...sealer.final()]);
}

/** Decrypt a whole container held in memory. */
export function decryptBytes(container: Uint8Array, keyring: Keyring): Buffer {
  const opener = new ContainerOpener(keyring);
  return Buffer.concat([...opener.update(container), ...opener.final()]);
}

export interface FileCryptoResult {
  readonly input: string;
  readonly output: string;
  readonly keyId: string;
  readonly plaintextBytes: number;
  readonly encryptedBytes: number;
  /** SHA-256 (hex) of the plaintext, computed on the way (encryptFile only): a signature needs no second read. */
  readonly plaintextSha256?: string;
}

export interface FileOptions {
  /** fsync the output before it is renamed into place (default true: a crash never leaves a half-written file under the final name). */
  readonly durable?: boolean;
  /** How the finished output lands under its name (default: replace). */
  readonly landing?: LandingOptions;
}

/** Prefix a CryptoError (or I/O error) with the file it concerns, keeping its class and code. */
function named(error: unknown, path: string): Error {
  if (!(error instanceof Error)) return new Error(`${path}: ${String(error)}`);
  if (!error.message.startsWith(`${path}: `)) error.message = `${path}: ${error.message}`;
  return error;
}

/**
 * Read input in 1 MiB blocks (the next read runs while this block is transformed), write each block's output
 * with one writev, fsync, then rename the temporary file onto output; nothing is left behind on failure.
 * Plain file handles rather than stream pipes: faster here, same constant memory.
 */
async function transformFile(input: string, output: string, transform: PieceTransform, durable: boolean, landing: LandingOptions = {}): Promise<number> {
  const partial = partialPathFor(output, landing.tag);
  let written = 0;
  try {
    const source = await open(input, 'r');
    try {
      const sink = await open(partial, landing.tag === undefined ? 'w' : 'wx', 0o600);
      try {
        const buffers = [Buffer.alloc(READ_BLOCK), Buffer.alloc(READ_BLOCK)];
        let turn = 0;
        let reading = source.read(buffers[0]!, 0, READ_BLOCK, null);
        let writing: Promise<unknown> = Promise.resolve();
        for (;;) {
          const { bytesRead } = await reading;
          if (bytesRead === 0) break;
          const block = buffers[turn]!.subarray(0, bytesRead);
          turn ^= 1;
          // The other buffer is free once the previous block's write (whose pieces may point into it) is done.
          await writing;
          reading = source.read(buffers[turn]!, 0, READ_BLOCK, null);
          const pieces = transform.update(block);
          for (const piece of pieces) written += piece.length;
          writing = pieces.length > 0 ? sink.writev(pieces) : Promise.resolve();
        }
        await writing;
        const last = transform.final();
        for (const piece of last) written += piece.length;
        if (last.length > 0) await sink.writev(last);
        if (durable) await sink.sync();
      } finally {
        await sink.close();
      }
    } finally {
      await source.close();
    }
    if (landing.mode === undefined || landing.mode === 'replace') await rename(partial, output);
    else landFile(partial, output, landing);
    return written;
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof OutputExistsError) throw error;
    throw named(error, input);
  }
}

/** Encrypt a file of any size with constant memory, under the keyring's current key. */
export async function encryptFile(input: string, output: string, keyring: Keyring, options: SealOptions & FileOptions = {}): Promise<FileCryptoResult> {
  let plaintextSize: number;
  try {
    plaintextSize = (await stat(input)).size;
  } catch (error) {
    throw named(error, input);
  }
  const sealer = new ContainerSealer(keyring.current, { plaintextSize, ...options });
  const hash = createHash('sha256');
  const hashing: PieceTransform = {
    update: (data) => {
      hash.update(data);
      return sealer.update(data);
    },
    final: () => sealer.final(),
  };
  const encryptedBytes = await transformFile(input, output, hashing, options.durable ?? true, options.landing);
  return { input, output, keyId: sealer.keyId, plaintextBytes: sealer.plaintextBytes, encryptedBytes, plaintextSha256: hash.digest('hex') };
}

/** Decrypt a file of any size with constant memory; the output appears only when every chunk authenticated. */
export async function decryptFile(input: string, output: string, keyring: Keyring, options: FileOptions = {}): Promise<FileCryptoResult> {
  const opener = new ContainerOpener(keyring);
  const plaintextBytes = await transformFile(input, output, opener, options.durable ?? true);
  return { input, output, keyId: opener.header?.keyId ?? '', plaintextBytes, encryptedBytes: opener.containerBytes };
}

export interface ResealResult {
  readonly plaintextBytes: number;
  /** SHA-256 (hex) of the plaintext. */
  readonly sha256: string;
}

/**
 * Open an encrypted file and write its plaintext again: sealed under the keyring's current key (`encrypt`), or
 * plain. One pass, constant memory, with the plaintext's size and SHA-256 on the way (what a signature needs):
 * a recording encrypted since it was first written is filed without a readable copy ever touching the disk.
 */
export async function resealFile(input: string, output: string, keyring: Keyring, options: FileOptions & { encrypt: boolean }): Promise<ResealResult> {
  const opener = new ContainerOpener(keyring);
  const sealer = options.encrypt ? new ContainerSealer(keyring.current) : undefined;
  const hash = createHash('sha256');
  let plaintextBytes = 0;
  const pass = (pieces: Buffer[]): Buffer[] => {
    const out: Buffer[] = [];
    for (const piece of pieces) {
      hash.update(piece);
      plaintextBytes += piece.length;
      if (sealer) out.push(...sealer.update(piece));
      else out.push(piece);
    }
    return out;
  };
  const transform: PieceTransform = {
    update: (data) => pass(opener.update(data)),
    final: () => [...pass(opener.final()), ...(sealer ? sealer.final() : [])],
  };
  await transformFile(input, output, transform, options.durable ?? true, options.landing);
  return { plaintextBytes, sha256: hash.digest('hex') };
}
