import { describe, it, expect, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER_MAGIC, CryptoError, HEADER_BYTES, Key, Keyring, decryptBytes, encryptBytes, openEncryptedFile } from '../../../src/platform/crypto/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';
import { seededBytes, tempDir } from './helpers.js';

const keyring = new Keyring([Key.generate()]);
const dir = tempDir('fuzz');
afterAll(() => dir.remove());

/** A mutated container: byte changes, insertions, deletions, cuts, header fields set to extremes. */
function mutate(base: Buffer, random: () => number): Buffer {
  const pick = (n: number): number => Math.floor(random() * n);
  let bytes = Buffer.from(base);
  const steps = 1 + pick(4);
  for (let s = 0; s < steps; s++) {
    switch (pick(7)) {
      case 0:
        bytes[pick(bytes.length)] = pick(256);
        break;
      case 1: {
        const at = pick(bytes.length + 1);
        bytes = Buffer.concat([bytes.subarray(0, at), seededBytes(1 + pick(40), pick(1e9)), bytes.subarray(at)]);
        break;
      }
      case 2: {
        const at = pick(bytes.length);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + pick(100))]);
        break;
      }
      case 3:
        bytes = bytes.subarray(0, pick(bytes.length + 1));
        break;
      case 4:
        // Chunk size field: tiny, huge, zero, random.
        if (bytes.length >= 16) bytes.writeUInt32BE([0, 1, 15, 16, 17, 2 ** 32 - 1, 16 * 1024 * 1024, pick(2 ** 32)][pick(8)]!, 12);
        break;
      case 5:
        if (bytes.length >= 12) bytes[8 + pick(4)] = pick(256);
        // Declared plaintext size: zero, off by one, huge, unknown.
        if (bytes.length >= 64 && random() < 0.5) bytes.writeBigUInt64BE([0n, 1n, BigInt(bytes.length), 2n ** 53n, 2n ** 64n - 1n, BigInt(pick(1e6))][pick(6)]!, 56);
        break;
      default:
        bytes = Buffer.concat([CONTAINER_MAGIC, seededBytes(pick(300), pick(1e9))]);
    }
  }
  return bytes;
}

describe('fuzzed containers', () => {
  const bases = [encryptBytes(seededBytes(0, 1), keyring, { chunkSize: 16 }), encryptBytes(seededBytes(500, 2), keyring, { chunkSize: 64 }), encryptBytes(seededBytes(3000, 3), keyring, { chunkSize: 1024 })];

  it('3,000 mutations: the streaming reader throws only typed errors', () => {
    const random = mulberry32(77);
    const codes = new Map<string, number>();
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = mutate(bases[i % bases.length]!, random);
      try {
        decryptBytes(bytes, keyring);
        accepted++;
      } catch (error) {
        if (!(error instanceof CryptoError)) throw new Error(`case ${i}: untyped error ${String(error)}`);
        codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      }
    }
    // A mutation can only be accepted if it changed nothing that is authenticated (e.g. cut then restored).
    expect(accepted).toBeLessThan(30);
    expect(codes.get('tampered')).toBeGreaterThan(500);
  });

  it('400 mutations: random access open and read throw only typed errors', async () => {
    const random = mulberry32(78);
    for (let i = 0; i < 400; i++) {
      const bytes = mutate(bases[i % bases.length]!, random);
      const path = join(dir.path, `f${i}.enc`);
      writeFileSync(path, bytes);
      try {
        const file = await openEncryptedFile(path, keyring);
        try {
          await file.read(0, file.plaintextSize);
          await file.read(Math.floor(random() * file.plaintextSize), 100);
        } finally {
          await file.close();
        }
      } catch (error) {
        if (!(error instanceof CryptoError)) throw new Error(`case ${i}: untyped error ${String(error)}`);
      }
    }
  });

  it('pure noise with and without the magic', () => {
    const random = mulberry32(79);
    for (let i = 0; i < 500; i++) {
      const noise = seededBytes(Math.floor(random() * 400), i);
      const candidates = [noise, Buffer.concat([CONTAINER_MAGIC, noise]), Buffer.concat([bases[1]!.subarray(0, HEADER_BYTES), noise])];
      for (const bytes of candidates) expect(() => decryptBytes(bytes, keyring)).toThrow(CryptoError);
    }
  });
});
