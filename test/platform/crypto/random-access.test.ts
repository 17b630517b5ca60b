import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CHUNK_SIZE, Key, Keyring, encryptBytes, openEncryptedFile } from '../../../src/platform/crypto/index.js';
import type { EncryptedFile } from '../../../src/platform/crypto/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';
import { seededBytes, tempDir } from './helpers.js';

const keyring = new Keyring([Key.generate()]);
const dir = tempDir('random-access');
afterAll(() => dir.remove());

/** Random (position, length) pairs, weighted towards chunk edges where off-by-one errors live. */
function randomRanges(count: number, size: number, chunk: number, seed: number): Array<[number, number]> {
  const random = mulberry32(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    let position = pick(size + 1);
    if (i % 4 === 0) position = Math.min(size, pick(Math.ceil(size / chunk) + 1) * chunk + pick(3) - 1);
    if (position < 0) position = 0;
    const kind = i % 5;
    const length = kind === 0 ? pick(4) : kind === 1 ? pick(chunk * 3) : kind === 2 ? chunk - pick(2) : kind === 3 ? size - position + pick(50) : pick(size + 1);
    ranges.push([position, length]);
  }
  return ranges;
}

describe('random access', () => {
  const plain = seededBytes(200_000 + 13, 2024);
  let small: EncryptedFile;
  let large: EncryptedFile;

  beforeAll(async () => {
    writeFileSync(join(dir.path, 'small-chunks.enc'), encryptBytes(plain, keyring, { chunkSize: 1000 }));
    writeFileSync(join(dir.path, 'default-chunks.enc'), encryptBytes(plain, keyring));
    small = await openEncryptedFile(join(dir.path, 'small-chunks.enc'), keyring);
    large = await openEncryptedFile(join(dir.path, 'default-chunks.enc'), keyring);
  });
  afterAll(async () => {
    await small.close();
    await large.close();
  });

  it('reports the authentic plaintext size and chunk count', () => {
    expect(small.plaintextSize).toBe(plain.length);
    expect(small.chunkCount).toBe(201);
    expect(large.plaintextSize).toBe(plain.length);
    expect(large.chunkCount).toBe(Math.ceil(plain.length / DEFAULT_CHUNK_SIZE));
    expect(small.keyId).toBe(keyring.current.id);
  });

  it('1,000 random reads equal the plaintext slice exactly (1000-byte chunks)', async () => {
    let bytesCompared = 0;
    for (const [position, length] of randomRanges(1000, plain.length, 1000, 1)) {
      const got = await small.read(position, length);
      const want = plain.subarray(position, Math.min(plain.length, position + length));
      expect(got.length).toBe(want.length);
      expect(got.equals(want)).toBe(true);
      bytesCompared += got.length;
    }
    expect(bytesCompared).toBeGreaterThan(10_000_000 / 100);
  });

  it('1,000 random reads equal the plaintext slice exactly (64 KiB chunks)', async () => {
    for (const [position, length] of randomRanges(1000, plain.length, DEFAULT_CHUNK_SIZE, 2)) {
      const got = await large.read(position, length);
      expect(got.equals(plain.subarray(position, Math.min(plain.length, position + length)))).toBe(true);
    }
  });

  it('streams a range chunk by chunk', async () => {
    const pieces: Buffer[] = [];
    for await (const piece of small.stream(12_345, 150_001)) pieces.push(Buffer.from(piece));
    expect(pieces.length).toBe(139);
    expect(Buffer.concat(pieces).equals(plain.subarray(12_345, 150_001))).toBe(true);
  });

  it('reads past the end give empty buffers; negative or fractional arguments are refused', async () => {
    expect((await small.read(plain.length, 10)).length).toBe(0);
    expect((await small.read(plain.length + 100, 10)).length).toBe(0);
    await expect(small.read(-1, 10)).rejects.toThrow(RangeError);
    await expect(small.read(1.5, 10)).rejects.toThrow(RangeError);
  });

  it('an empty plaintext opens with size 0', async () => {
    const path = join(dir.path, 'empty.enc');
    writeFileSync(path, encryptBytes(Buffer.alloc(0), keyring));
    const file = await openEncryptedFile(path, keyring);
    expect(file.plaintextSize).toBe(0);
    expect((await file.read(0, 100)).length).toBe(0);
    await file.close();
  });
});
