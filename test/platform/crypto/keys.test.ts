import { describe, it, expect, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  BadKeyError,
  CryptoError,
  Key,
  Keyring,
  WrongPassphraseError,
  createPassphraseKey,
  decryptBytes,
  encryptBytes,
  generateKeyFile,
  generatePassphraseKeyFile,
  keyIdOf,
  parseKeyFile,
  readKeyFile,
  readKeyring,
} from '../../../src/platform/crypto/index.js';
import { seededBytes, tempDir } from './helpers.js';

const dir = tempDir('keys');
afterAll(() => dir.remove());
// Cheap scrypt cost for tests only; the default (N=2^17) is exercised once below.
const FAST = { N: 2 ** 10, r: 8, p: 1 };

/** Every textual form of the key bytes that must never leak. */
function forms(bytes: Buffer): string[] {
  return [bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('base64').slice(0, 20)];
}

describe('keys and keyring', () => {
  it('key id = first 8 bytes of SHA-256 over a domain tag and the key, never the key itself', () => {
    const bytes = seededBytes(32, 5);
    const key = Key.fromBytes(bytes);
    const expected = createHash('sha256').update('recorder key id v1\0').update(bytes).digest().subarray(0, 8).toString('hex');
    expect(key.id).toBe(expected);
    expect(keyIdOf(bytes)).toBe(expected);
    expect(key.id).not.toBe(bytes.subarray(0, 8).toString('hex'));
    expect(() => Key.fromBytes(Buffer.alloc(31))).toThrow(BadKeyError);
  });

  it('key files: 64 hex digits, base64, base64url and 32 raw bytes all read as the same key', async () => {
    const bytes = seededBytes(32, 6);
    const id = keyIdOf(bytes);
    const variants: Array<[string, Buffer | string]> = [
      ['hex.key', `${bytes.toString('hex')}\n`],
      ['HEX.key', bytes.toString('hex').toUpperCase()],
      ['b64.key', `${bytes.toString('base64')}\r\n`],
      ['b64url.key', bytes.toString('base64url')],
      ['raw.key', bytes],
    ];
    for (const [name, content] of variants) {
      writeFileSync(join(dir.path, name), content);
      expect((await readKeyFile(join(dir.path, name))).id).toBe(id);
    }
    for (const bad of ['', 'abc', bytes.toString('hex').slice(2), seededBytes(33, 1).toString('base64')]) {
      expect(() => parseKeyFile(Buffer.from(bad))).toThrow(BadKeyError);
    }
  });

  it('generate writes a new 0600 key file, refuses to overwrite, and the key works', async () => {
    const path = join(dir.path, 'generated.key');
    const key = await generateKeyFile(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await readKeyFile(path)).id).toBe(key.id);
    await expect(generateKeyFile(path)).rejects.toThrow(/EEXIST|exists/);
    const other = await generateKeyFile(join(dir.path, 'generated2.key'));
    expect(other.id).not.toBe(key.id);
  });

  it('passphrase keys: scrypt with the salt in the definition; the right passphrase re-derives, a wrong one is refused', async () => {
    const path = join(dir.path, 'passphrase.json');
    const key = await generatePassphraseKeyFile(path, 'MySuperSecret007Key', FAST);
    const definition = readFileSync(path, 'utf8');
    expect(definition).not.toContain('MySuperSecret007Key');
    expect(JSON.parse(definition)).toMatchObject({ kdf: 'scrypt', N: 1024, r: 8, p: 1, keyId: key.id });
    expect((await readKeyFile(path, { passphrase: 'MySuperSecret007Key' })).id).toBe(key.id);
    const wrong = await readKeyFile(path, { passphrase: 'MySuperSecret008Key' }).catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(WrongPassphraseError);
    expect(String((wrong as Error).message)).not.toContain('MySuperSecret');
    await expect(readKeyFile(path)).rejects.toThrow(/passphrase is needed/);
    // Same passphrase, new salt: another key.
    const again = await createPassphraseKey('MySuperSecret007Key', FAST);
    expect(again.key.id).not.toBe(key.id);
  });

  it('default scrypt cost derives a working key', async () => {
    const { key, definition } = await createPassphraseKey('correct horse battery staple');
    expect(definition.N).toBe(2 ** 17);
    const ring = new Keyring([key]);
    expect(decryptBytes(encryptBytes(Buffer.from('x'), ring), ring).toString()).toBe('x');
  });

  it('keyring: first key current, rotation, lookup by id, empty ring refuses to encrypt', async () => {
    const a = Key.generate();
    const b = Key.generate();
    const ring = new Keyring([a, b]);
    expect(ring.current).toBe(a);
    expect(ring.withCurrent(b.id).current).toBe(b);
    expect(ring.get(b.id)).toBe(b);
    expect(ring.has('0000000000000000')).toBe(false);
    expect(() => new Keyring([a], b.id)).toThrow(BadKeyError);
    expect(() => new Keyring().current).toThrow(CryptoError);
    writeFileSync(join(dir.path, 'a.key'), Buffer.from(seededBytes(32, 10).toString('hex')));
    writeFileSync(join(dir.path, 'b.key'), Buffer.from(seededBytes(32, 11).toString('hex')));
    const loaded = await readKeyring([join(dir.path, 'a.key'), join(dir.path, 'b.key')]);
    expect(loaded.ids).toEqual([keyIdOf(seededBytes(32, 10)), keyIdOf(seededBytes(32, 11))]);
    expect(loaded.current.id).toBe(loaded.ids[0]);
  });

  it('key material never shows in toString, inspect, JSON, template strings, spreads or error messages', async () => {
    const bytes = seededBytes(32, 12);
    const key = Key.fromBytes(bytes);
    const ring = new Keyring([key, Key.generate()]);
    const texts = [
      String(key),
      `${key}`,
      inspect(key, { showHidden: true, depth: 10 }),
      inspect(ring, { showHidden: true, depth: 10 }),
      JSON.stringify(key),
      JSON.stringify(ring),
      JSON.stringify({ ...key }),
      inspect({ ...key }, { showHidden: true }),
      inspect(Object.getOwnPropertyNames(key).map((name) => (key as unknown as Record<string, unknown>)[name])),
      String(ring),
    ];
    const errors: string[] = [];
    const sealed = encryptBytes(Buffer.from('secret call'), ring);
    for (const attempt of [
      () => decryptBytes(Buffer.concat([sealed, Buffer.alloc(1)]), ring),
      () => decryptBytes(sealed.subarray(0, sealed.length - 1), ring),
      () => decryptBytes(sealed, new Keyring()),
      () => new Keyring([key]).withCurrent('ffffffffffffffff'),
      () => Key.fromBytes(Buffer.concat([bytes, Buffer.alloc(1)])),
    ]) {
      try {
        attempt();
      } catch (error) {
        errors.push(String(error), inspect(error), JSON.stringify(error), (error as Error).stack ?? '');
      }
    }
    expect(errors.length).toBe(20);
    const path = join(dir.path, 'leak.key');
    writeFileSync(path, `${bytes.toString('hex')}x`);
    await readKeyFile(path).catch((error: unknown) => errors.push(String(error), inspect(error)));
    for (const text of [...texts, ...errors]) {
      for (const form of forms(bytes)) expect(text).not.toContain(form);
    }
    expect(texts[0]).toBe(`Key(${key.id})`);
    expect(JSON.parse(texts[4]!)).toEqual({ keyId: key.id });
  });
});
