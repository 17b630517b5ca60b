import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ContainerSealer,
  DEFAULT_CHUNK_SIZE,
  HEADER_BYTES,
  Key,
  Keyring,
  TAG_BYTES,
  createDecryptStream,
  createEncryptStream,
  decryptBytes,
  decryptFile,
  decryptIterable,
  encryptBytes,
  encryptFile,
  encryptIterable,
  parseHeader,
} from '../../../src/platform/crypto/index.js';
import { seededBytes, tempDir } from './helpers.js';

const keyring = new Keyring([Key.generate()]);
const dir = tempDir('container');
afterAll(() => dir.remove());

function expectedSize(plain: number, chunk: number): number {
  const chunks = Math.max(1, Math.ceil(plain / chunk));
  return HEADER_BYTES + plain + chunks * TAG_BYTES;
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of source) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** Feed a buffer in uneven pieces, to cross chunk boundaries at odd places. */
function* unevenPieces(bytes: Buffer, seed: number): Generator<Buffer> {
  let at = 0;
  let step = (seed % 7) + 1;
  while (at < bytes.length) {
    yield bytes.subarray(at, at + step);
    at += step;
    step = (step * 31 + 17) % 9000 + 1;
  }
}

describe('container round trip', () => {
  const C = DEFAULT_CHUNK_SIZE;
  const sizes = [0, 1, C - 1, C, C + 1, 2 * C, 5 * 1024 * 1024 + 3];
  for (const size of sizes) {
    it(`in memory, ${size} bytes`, () => {
      const plain = seededBytes(size, size + 1);
      const sealed = encryptBytes(plain, keyring);
      expect(sealed.length).toBe(expectedSize(size, C));
      expect(decryptBytes(sealed, keyring).equals(plain)).toBe(true);
    });
    it(`through async iterables in uneven pieces, ${size} bytes`, async () => {
      const plain = seededBytes(size, size + 2);
      const sealed = await collect(encryptIterable(unevenPieces(plain, size), keyring));
      expect(sealed.length).toBe(expectedSize(size, C));
      const opened = await collect(decryptIterable(unevenPieces(sealed, size + 3), keyring));
      expect(opened.equals(plain)).toBe(true);
    });
  }

  it('through Node stream Transforms and files, 5 MB, overhead under 1%', async () => {
    const plain = seededBytes(5 * 1024 * 1024, 99);
    const input = join(dir.path, 'plain.bin');
    writeFileSync(input, plain);
    const viaStream = join(dir.path, 'stream.enc');
    const { createWriteStream } = await import('node:fs');
    await pipeline(Readable.from(unevenPieces(plain, 5)), createEncryptStream(keyring), createWriteStream(viaStream));
    const sealedStream = readFileSync(viaStream);
    const back: Buffer[] = [];
    await pipeline(Readable.from(unevenPieces(sealedStream, 6)), createDecryptStream(keyring), async function* (source: AsyncIterable<Buffer>) {
      for await (const piece of source) back.push(piece);
    });
    expect(Buffer.concat(back).equals(plain)).toBe(true);

    const encrypted = join(dir.path, 'file.enc');
    const result = await encryptFile(input, encrypted, keyring);
    expect(result.plaintextBytes).toBe(plain.length);
    expect(result.encryptedBytes).toBe(readFileSync(encrypted).length);
    const overhead = (result.encryptedBytes - plain.length) / plain.length;
    expect(overhead).toBeLessThan(0.01);
    expect(overhead).toBeCloseTo((HEADER_BYTES + 80 * TAG_BYTES) / plain.length, 10);
    const decrypted = join(dir.path, 'file.dec');
    const opened = await decryptFile(encrypted, decrypted, keyring);
    expect(opened.keyId).toBe(keyring.current.id);
    expect(readFileSync(decrypted).equals(plain)).toBe(true);
  });

  it('a Node pipeline through createDecryptStream rejects tampered input with the typed error', async () => {
    const sealed = encryptBytes(seededBytes(200_000, 12), keyring);
    sealed[HEADER_BYTES + 70_000]! ^= 0x10;
    const sink = async function* (source: AsyncIterable<Buffer>) {
      for await (const piece of source) void piece;
    };
    await expect(pipeline(Readable.from([sealed]), createDecryptStream(keyring), sink)).rejects.toMatchObject({ code: 'tampered' });
    const cut = encryptBytes(seededBytes(200_000, 13), keyring).subarray(0, HEADER_BYTES + 2 * (DEFAULT_CHUNK_SIZE + TAG_BYTES));
    await expect(pipeline(Readable.from([cut]), createDecryptStream(keyring), sink)).rejects.toMatchObject({ code: 'truncated' });
  });

  it('encrypts and decrypts a file in place (temporary file, then rename), leaving nothing else behind', async () => {
    const plain = seededBytes(300_000, 14);
    const sub = join(dir.path, 'in-place');
    const { mkdirSync, readdirSync } = await import('node:fs');
    mkdirSync(sub);
    const path = join(sub, 'call.wav');
    writeFileSync(path, plain);
    await encryptFile(path, path, keyring);
    expect(parseHeader(readFileSync(path)).keyId).toBe(keyring.current.id);
    await decryptFile(path, path, keyring);
    expect(readFileSync(path).equals(plain)).toBe(true);
    await expect(decryptFile(path, join(sub, 'out.wav'), keyring)).rejects.toMatchObject({ code: 'not-encrypted' });
    expect(readdirSync(sub)).toEqual(['call.wav']);
  });

  it('small chunk sizes seal to the documented layout', () => {
    const plain = seededBytes(1000, 7);
    for (const chunkSize of [16, 17, 100, 999, 1000, 1001]) {
      const sealed = encryptBytes(plain, keyring, { chunkSize });
      expect(sealed.length).toBe(expectedSize(plain.length, chunkSize));
      const header = parseHeader(sealed);
      expect(header.chunkSize).toBe(chunkSize);
      expect(header.keyId).toBe(keyring.current.id);
      expect(decryptBytes(sealed, keyring).equals(plain)).toBe(true);
    }
  });

  it('uses a fresh salt per file: the same plaintext never encrypts the same way twice', () => {
    const plain = seededBytes(300, 8);
    const a = encryptBytes(plain, keyring, { chunkSize: 64 });
    const b = encryptBytes(plain, keyring, { chunkSize: 64 });
    expect(parseHeader(a).salt.equals(parseHeader(b).salt)).toBe(false);
    expect(a.subarray(HEADER_BYTES).equals(b.subarray(HEADER_BYTES))).toBe(false);
  });

  it('keeps memory bounded: the sealer emits each chunk as soon as the next byte arrives', () => {
    const sealer = new ContainerSealer(keyring.current, { chunkSize: 64 });
    const total = (pieces: Buffer[]): number => pieces.reduce((sum, b) => sum + b.length, 0);
    expect(total(sealer.update(Buffer.alloc(64)))).toBe(HEADER_BYTES);
    expect(total(sealer.update(Buffer.alloc(1)))).toBe(64 + TAG_BYTES);
    expect(total(sealer.update(Buffer.alloc(64 * 3)))).toBe(3 * (64 + TAG_BYTES));
    expect(total(sealer.final())).toBe(1 + TAG_BYTES);
  });

  it('rotation: new files use the current key, old files still open with any known key', () => {
    const oldKey = keyring.current;
    const newKey = Key.generate();
    const rotated = keyring.with(newKey, { current: true });
    const oldFile = encryptBytes(Buffer.from('old recording'), keyring);
    const newFile = encryptBytes(Buffer.from('new recording'), rotated);
    expect(parseHeader(oldFile).keyId).toBe(oldKey.id);
    expect(parseHeader(newFile).keyId).toBe(newKey.id);
    expect(decryptBytes(oldFile, rotated).toString()).toBe('old recording');
    expect(decryptBytes(newFile, rotated).toString()).toBe('new recording');
    expect(rotated.withCurrent(oldKey.id).current.id).toBe(oldKey.id);
  });
});
