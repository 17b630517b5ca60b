import { describe, it, expect, afterAll } from 'vitest';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Key,
  Keyring,
  TamperedError,
  encryptFile,
  openSidecar,
  sealSidecar,
  sidecarPathFor,
  signRecording,
  signatureFromXml,
  signatureToXml,
  verifyFile,
  verifyRecording,
} from '../../../src/platform/crypto/index.js';
import { seededBytes, tempDir } from './helpers.js';

const dir = tempDir('signature');
afterAll(() => dir.remove());
const keyBytes = seededBytes(32, 31);
const key = Key.fromBytes(keyBytes);
const keyring = new Keyring([key]);

function writeWav(name: string, seed: number): { path: string; bytes: Buffer } {
  const bytes = Buffer.concat([Buffer.from('RIFF....WAVEfmt ', 'latin1'), seededBytes(40_000, seed)]);
  const path = join(dir.path, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

describe('recording signatures', () => {
  it('signature = HMAC-SHA-256 under HKDF(master, "recorder audio signature v1") over a tag and the SHA-256 of the audio', async () => {
    const { path, bytes } = writeWav('a.wav', 1);
    const info = await signRecording(path, keyring);
    const digest = createHash('sha256').update(bytes).digest();
    const signingKey = Buffer.from(hkdfSync('sha256', keyBytes, Buffer.alloc(0), Buffer.from('recorder audio signature v1'), 32));
    const expected = createHmac('sha256', signingKey).update(Buffer.from('recorder audio signature v1\0', 'latin1')).update(digest).digest('hex');
    expect(info).toEqual({ algorithm: 'HMAC-SHA256', keyId: key.id, digest: digest.toString('hex'), signature: expected });
    expect(await verifyRecording(path, info, keyring)).toBe('intact');
  });

  it('any change to the audio, the digest or the signature is tampered; a key not in the ring is unknown-key', async () => {
    const { path, bytes } = writeWav('b.wav', 2);
    const info = await signRecording(path, keyring);
    for (const position of [0, 1, 100, 20_000, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[position]! ^= 0x01;
      writeFileSync(path, changed);
      expect(await verifyRecording(path, info, keyring)).toBe('tampered');
    }
    writeFileSync(path, bytes.subarray(0, bytes.length - 1));
    expect(await verifyRecording(path, info, keyring)).toBe('tampered');
    writeFileSync(path, Buffer.concat([bytes, Buffer.alloc(1)]));
    expect(await verifyRecording(path, info, keyring)).toBe('tampered');
    writeFileSync(path, bytes);
    expect(await verifyRecording(path, info, keyring)).toBe('intact');
    // A forger who recomputes the digest cannot recompute the MAC.
    const otherDigest = createHash('sha256').update('forged').digest('hex');
    expect(await verifyRecording(path, { ...info, digest: otherDigest }, keyring)).toBe('tampered');
    expect(await verifyRecording(path, { ...info, signature: info.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) }, keyring)).toBe('tampered');
    // Signed by a key we have under a different id: wrong key, so tampered.
    const other = Key.generate();
    const both = new Keyring([key, other]);
    expect(await verifyRecording(path, { ...info, keyId: other.id }, both)).toBe('tampered');
    expect(await verifyRecording(path, info, new Keyring([other]))).toBe('unknown-key');
    // After rotation the old key still verifies, new signatures use the new key.
    const rotated = keyring.with(other, { current: true });
    expect(await verifyRecording(path, info, rotated)).toBe('intact');
    expect((await signRecording(path, rotated)).keyId).toBe(other.id);
  });

  it('XML fragment round trip; malformed fragments are not signatures', async () => {
    const { path } = writeWav('c.wav', 3);
    const info = await signRecording(path, keyring);
    const xml = `<?xml version="1.0"?><recording><cdr callId="x"/>${signatureToXml(info)}</recording>`;
    expect(signatureFromXml(xml)).toEqual(info);
    expect(signatureFromXml('<recording/>')).toBeUndefined();
    expect(signatureFromXml(xml.replace(info.keyId, 'nothex!!nothex!!'))).toBeUndefined();
    expect(signatureFromXml(xml.replace('HMAC-SHA256', 'MD5'))).toBeUndefined();
  });

  it('sidecars are encrypted in the container: authenticated and confidential', () => {
    const xml = '<recording><cdr caller="+49 7031 730090"/></recording>';
    const sealed = sealSidecar(xml, keyring);
    expect(sealed.includes(Buffer.from('7031'))).toBe(false);
    expect(openSidecar(sealed, keyring)).toEqual({ xml, encrypted: true });
    const changed = Buffer.from(sealed);
    changed[changed.length - 20]! ^= 4;
    expect(() => openSidecar(changed, keyring)).toThrow(TamperedError);
    expect(openSidecar(Buffer.from(xml), keyring)).toEqual({ xml, encrypted: false });
  });

  it('verifyFile: signed plain audio, encrypted audio, sidecar checks, unsigned files', async () => {
    const { path, bytes } = writeWav('2026_11_23_0930_200_i_0703173009_5_abc.wav', 4);
    expect(sidecarPathFor(path)).toBe(path.replace(/\.wav$/, '.xml'));
    expect(sidecarPathFor(`${path}.enc`)).toBe(path.replace(/\.wav$/, '.xml'));
    expect((await verifyFile(path, keyring)).status).toBe('unsigned');
    const info = await signRecording(path, keyring);
    writeFileSync(sidecarPathFor(path), sealSidecar(`<recording>${signatureToXml(info)}</recording>`, keyring));
    expect(await verifyFile(path, keyring)).toMatchObject({ status: 'intact', kind: 'signed', keyId: key.id, sidecar: { encrypted: true } });
    expect((await verifyFile(path, new Keyring())).status).toBe('unknown-key');
    const changed = Buffer.from(bytes);
    changed[5000]! ^= 0x80;
    writeFileSync(path, changed);
    expect((await verifyFile(path, keyring)).status).toBe('tampered');
    writeFileSync(path, bytes);
    // The encrypted audio is checked chunk by chunk and against the sidecar signature.
    const encrypted = `${path}.enc`;
    await encryptFile(path, encrypted, keyring);
    expect(await verifyFile(encrypted, keyring)).toMatchObject({ status: 'intact', kind: 'encrypted', keyId: key.id });
    const sealed = readFileSync(encrypted);
    sealed[sealed.length - 100]! ^= 1;
    writeFileSync(encrypted, sealed);
    expect((await verifyFile(encrypted, keyring)).status).toBe('tampered');
    sealed[sealed.length - 100]! ^= 1;
    writeFileSync(encrypted, sealed.subarray(0, 64 + 5000));
    expect((await verifyFile(encrypted, keyring)).status).toBe('truncated');
    // A tampered sidecar is reported, even if the audio is fine.
    const sidecar = readFileSync(sidecarPathFor(path));
    sidecar[sidecar.length - 1]! ^= 1;
    writeFileSync(sidecarPathFor(path), sidecar);
    expect(await verifyFile(path, keyring)).toMatchObject({ status: 'tampered' });
    expect((await verifyFile(join(dir.path, 'missing.wav'), keyring)).status).toBe('unreadable');
  });
});
