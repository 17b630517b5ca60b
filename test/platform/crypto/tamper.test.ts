import { describe, it, expect, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerSealer, HEADER_BYTES, Key, Keyring, TAG_BYTES, decryptBytes, encryptBytes, openEncryptedFile } from '../../../src/platform/crypto/index.js';
import type { CryptoErrorCode } from '../../../src/platform/crypto/index.js';
import { cryptoErrorCode, cryptoErrorCodeAsync, seededBytes, tempDir } from './helpers.js';

// Small chunks so one short file has many chunks: 6 chunks of 64 bytes, the last holding 17.
const CHUNK = 64;
const STRIDE = CHUNK + TAG_BYTES;
const systemKey = Key.generate();
const customerKey = Key.generate();
const keyring = new Keyring([systemKey, customerKey]);
const plain = seededBytes(5 * CHUNK + 17, 42);
const sealed = encryptBytes(plain, keyring, { chunkSize: CHUNK });
const chunkCount = 6;
const chunkStart = (i: number): number => HEADER_BYTES + i * STRIDE;
const dir = tempDir('tamper');
afterAll(() => dir.remove());

let fileNumber = 0;
/** The same bytes checked through random access: open (verifies the final chunk) and read everything. */
async function randomAccessCode(bytes: Buffer, ring: Keyring = keyring): Promise<CryptoErrorCode> {
  const path = join(dir.path, `case-${fileNumber++}.enc`);
  writeFileSync(path, bytes);
  return cryptoErrorCodeAsync(async () => {
    const file = await openEncryptedFile(path, ring);
    try {
      await file.read(0, file.plaintextSize);
    } finally {
      await file.close();
    }
  });
}

function flipped(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

function expectedForHeaderByte(byte: number): CryptoErrorCode[] {
  if (byte < 8) return ['not-encrypted'];
  if (byte < 12) return ['unsupported'];
  if (byte < 16) return ['unsupported', 'tampered', 'truncated']; // another chunk size reshapes the chunks
  if (byte < 24) return ['unknown-key'];
  if (byte < 56) return ['tampered'];
  return ['tampered', 'truncated', 'unsupported']; // declared size: too large for the file, or out of range
}

describe('tampering is detected', () => {
  it('the file is intact to begin with', async () => {
    expect(sealed.length).toBe(HEADER_BYTES + 5 * STRIDE + 17 + TAG_BYTES);
    expect(decryptBytes(sealed, keyring).equals(plain)).toBe(true);
    const path = join(dir.path, 'intact.enc');
    writeFileSync(path, sealed);
    const file = await openEncryptedFile(path, keyring);
    expect(file.plaintextSize).toBe(plain.length);
    expect(file.chunkCount).toBe(chunkCount);
    expect((await file.read(0, plain.length)).equals(plain)).toBe(true);
    await file.close();
  });

  it(`every single-bit flip anywhere in the file (${sealed.length * 8} cases), streaming`, () => {
    const seen = new Map<CryptoErrorCode, number>();
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const code = cryptoErrorCode(() => decryptBytes(flipped(sealed, bit), keyring));
      const byte = bit >> 3;
      expect(byte < HEADER_BYTES ? expectedForHeaderByte(byte) : ['tampered']).toContain(code);
      seen.set(code, (seen.get(code) ?? 0) + 1);
    }
    // Every flip in the salt and in the chunks is an authentication failure.
    expect(seen.get('tampered')).toBeGreaterThanOrEqual((sealed.length - HEADER_BYTES + 32) * 8);
  });

  it('bit flips at every header byte and sampled chunk positions, random access', async () => {
    const positions = [...Array(HEADER_BYTES).keys()];
    for (let i = 0; i < chunkCount; i++) {
      const start = chunkStart(i);
      const end = Math.min(sealed.length, start + STRIDE);
      positions.push(start, start + 1, Math.floor((start + end) / 2), end - TAG_BYTES - 1, end - TAG_BYTES, end - 1);
    }
    for (const byte of positions) {
      const code = await randomAccessCode(flipped(sealed, byte * 8 + (byte % 8)));
      expect(byte < HEADER_BYTES ? expectedForHeaderByte(byte) : ['tampered']).toContain(code);
    }
  });

  it('truncation at every length, size declared in the header: always truncated', async () => {
    for (let length = 0; length < sealed.length; length++) {
      const cut = sealed.subarray(0, length);
      const code = cryptoErrorCode(() => decryptBytes(cut, keyring));
      expect(code).toBe(length < 8 ? 'not-encrypted' : 'truncated');
      if (length >= 8 && (length % 7 === 0 || (length - HEADER_BYTES) % STRIDE === 0)) expect(await randomAccessCode(Buffer.from(cut))).toBe(code);
    }
  });

  it('truncation at every length, stream of unknown size: chunk boundaries and cut tags say truncated', async () => {
    const streamed = Buffer.concat([...(function* () {
      const sealer = new ContainerSealer(keyring.current, { chunkSize: CHUNK });
      yield* sealer.update(plain);
      yield* sealer.final();
    })()]);
    expect(streamed.length).toBe(sealed.length);
    for (let length = 0; length < streamed.length; length++) {
      const cut = streamed.subarray(0, length);
      const code = cryptoErrorCode(() => decryptBytes(cut, keyring));
      const intoChunk = (length - HEADER_BYTES) % STRIDE;
      if (length < 8) expect(code).toBe('not-encrypted');
      else if (length <= HEADER_BYTES) expect(code).toBe('truncated');
      else if (intoChunk === 0 || intoChunk < TAG_BYTES) expect(code).toBe('truncated');
      else expect(code).toBe('tampered'); // cut inside a chunk's data, no declared size: indistinguishable from a changed chunk
      if (length >= 8 && (length % 7 === 0 || intoChunk === 0)) expect(await randomAccessCode(Buffer.from(cut))).toBe(code);
    }
  });

  it('reordered, dropped and duplicated chunks', async () => {
    const chunks = Array.from({ length: chunkCount }, (_, i) => sealed.subarray(chunkStart(i), Math.min(sealed.length, chunkStart(i) + STRIDE)));
    const header = sealed.subarray(0, HEADER_BYTES);
    const variants = [
      [1, 0, 2, 3, 4, 5],
      [0, 2, 1, 3, 4, 5],
      [0, 1, 2, 4, 3, 5],
      [0, 1, 3, 4, 5], // chunk 2 dropped
      [0, 1, 2, 3, 5], // chunk 4 dropped, final follows early
      [0, 0, 1, 2, 3, 4, 5], // duplicated
      [0, 1, 2, 3, 4, 5, 5], // final chunk twice
    ];
    for (const order of variants) {
      const bytes = Buffer.concat([header, ...order.map((i) => chunks[i]!)]);
      expect(cryptoErrorCode(() => decryptBytes(bytes, keyring))).toBe('tampered');
      expect(await randomAccessCode(bytes)).toBe('tampered');
    }
  });

  it('chunks spliced from another file under the same key', async () => {
    const other = encryptBytes(seededBytes(plain.length, 43), keyring, { chunkSize: CHUNK });
    for (let i = 0; i < chunkCount; i++) {
      const spliced = Buffer.from(sealed);
      other.copy(spliced, chunkStart(i), chunkStart(i), Math.min(other.length, chunkStart(i) + STRIDE));
      expect(cryptoErrorCode(() => decryptBytes(spliced, keyring))).toBe('tampered');
      expect(await randomAccessCode(spliced)).toBe('tampered');
    }
    // The other file's header on this file's chunks.
    const headerSwap = Buffer.concat([other.subarray(0, HEADER_BYTES), sealed.subarray(HEADER_BYTES)]);
    expect(cryptoErrorCode(() => decryptBytes(headerSwap, keyring))).toBe('tampered');
    expect(await randomAccessCode(headerSwap)).toBe('tampered');
  });

  it('appended bytes', async () => {
    const finalChunk = sealed.subarray(chunkStart(chunkCount - 1));
    const tails = [Buffer.alloc(1), Buffer.alloc(15, 7), Buffer.alloc(16), seededBytes(17, 1), seededBytes(STRIDE, 2), Buffer.from(finalChunk), Buffer.from(sealed)];
    for (const tail of tails) {
      const bytes = Buffer.concat([sealed, tail]);
      expect(['tampered', 'truncated']).toContain(cryptoErrorCode(() => decryptBytes(bytes, keyring)));
      expect(['tampered', 'truncated']).toContain(await randomAccessCode(bytes));
    }
  });

  it('header key-id swap: to another known key is tampered/wrong key, to an unknown one is unknown key', async () => {
    const swapped = Buffer.from(sealed);
    Buffer.from(customerKey.id, 'hex').copy(swapped, 16);
    expect(cryptoErrorCode(() => decryptBytes(swapped, keyring))).toBe('tampered');
    expect(await randomAccessCode(swapped)).toBe('tampered');
    const unknown = Buffer.from(sealed);
    Buffer.from(Key.generate().id, 'hex').copy(unknown, 16);
    expect(cryptoErrorCode(() => decryptBytes(unknown, keyring))).toBe('unknown-key');
    expect(await randomAccessCode(unknown)).toBe('unknown-key');
  });

  it('unknown key (not in the ring) is told apart from tampered', async () => {
    const otherRing = new Keyring([Key.generate()]);
    expect(cryptoErrorCode(() => decryptBytes(sealed, otherRing))).toBe('unknown-key');
    expect(await randomAccessCode(sealed, otherRing)).toBe('unknown-key');
    expect(cryptoErrorCode(() => decryptBytes(sealed, new Keyring()))).toBe('unknown-key');
    try {
      decryptBytes(sealed, otherRing);
    } catch (error) {
      expect((error as Error).message).toContain(systemKey.id);
    }
  });

  it('plain audio is not an encrypted file', async () => {
    const wav = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), seededBytes(200, 3)]);
    expect(cryptoErrorCode(() => decryptBytes(wav, keyring))).toBe('not-encrypted');
    expect(await randomAccessCode(wav)).toBe('not-encrypted');
    expect(cryptoErrorCode(() => decryptBytes(Buffer.alloc(0), keyring))).toBe('not-encrypted');
  });
});
