import { describe, it, expect } from 'vitest';
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import { ContainerSealer, Key, Keyring, decryptBytes, encryptBytes, keyIdOf } from '../../../src/platform/crypto/index.js';
import { seededBytes } from './helpers.js';

/**
 * The container written again from src/platform/crypto/README.md alone, with raw node:crypto calls, to check that the
 * code and the documented format agree byte for byte (a reader in another language would follow the README).
 */
function containerFromSpec(master: Buffer, salt: Buffer, chunkSize: number, plain: Buffer, sizeKnown = true): Buffer {
  const header = Buffer.alloc(64);
  Buffer.from([0x89, 0x52, 0x45, 0x43, 0x45, 0x4e, 0x43, 0x0a]).copy(header, 0);
  header[8] = 1;
  header[9] = 1;
  header.writeUInt32BE(chunkSize, 12);
  createHash('sha256').update('recorder key id v1\0').update(master).digest().copy(header, 16, 0, 8);
  salt.copy(header, 24);
  header.writeBigUInt64BE(sizeKnown ? BigInt(plain.length) : 0xffffffffffffffffn, 56);
  const fileKey = Buffer.from(hkdfSync('sha256', master, salt, Buffer.from('recorder container v1 file key'), 32));
  const count = Math.max(1, Math.ceil(plain.length / chunkSize));
  const parts = [header];
  for (let i = 0; i < count; i++) {
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64BE(BigInt(i), 4);
    const aad = Buffer.concat([header, nonce.subarray(4), Buffer.from([i === count - 1 ? 1 : 0])]);
    const cipher = createCipheriv('aes-256-gcm', fileKey, nonce);
    cipher.setAAD(aad);
    parts.push(cipher.update(plain.subarray(i * chunkSize, (i + 1) * chunkSize)), cipher.final(), cipher.getAuthTag());
  }
  return Buffer.concat(parts);
}

describe('the container matches its written specification', () => {
  const master = seededBytes(32, 500);
  const keyring = new Keyring([Key.fromBytes(master)]);

  for (const [size, chunkSize] of [
    [0, 65536],
    [1, 16],
    [100, 16],
    [65536, 65536],
    [200_001, 65536],
    [5000, 1000],
  ] as const) {
    it(`${size} bytes in ${chunkSize}-byte chunks: our output equals the spec's, and the spec's output decrypts`, () => {
      const plain = seededBytes(size, size + 501);
      const ours = encryptBytes(plain, keyring, { chunkSize });
      const salt = ours.subarray(24, 56);
      expect(ours.readBigUInt64BE(56)).toBe(BigInt(size));
      expect(ours.toString('hex', 16, 24)).toBe(keyIdOf(master));
      expect(ours.equals(containerFromSpec(master, salt, chunkSize, plain))).toBe(true);
      const theirs = containerFromSpec(master, seededBytes(32, size + 502), chunkSize, plain);
      expect(decryptBytes(theirs, keyring).equals(plain)).toBe(true);
      // A stream of unknown length: size field all ones.
      const streamed = Buffer.concat([...(function* () {
        const sealer = new ContainerSealer(keyring.current, { chunkSize });
        yield* sealer.update(plain);
        yield* sealer.final();
      })()]);
      expect(streamed.equals(containerFromSpec(master, streamed.subarray(24, 56), chunkSize, plain, false))).toBe(true);
    });
  }
});
