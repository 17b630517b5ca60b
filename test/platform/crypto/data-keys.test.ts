// The data key vault: keys wrapped by the system key (the id authenticated with them), found by id through a
// keyring, destroyed with a tombstone; a changed key file or a missing system key is an error naming the key,
// never a silent "no key".
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataKeyVault, Key, Keyring, decryptBytes, encryptBytes } from '../../../src/platform/crypto/index.js';

const dir = mkdtempSync(join(tmpdir(), 'data-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('data key vault', () => {
  it('a data key seals; the system keyring with the vault behind it opens; destroyed, nothing opens and the tombstone says why', async () => {
    const masters = new Keyring([Key.generate()]);
    const vault = new DataKeyVault(join(dir, 'a'), masters);
    const key = await vault.create('call-1');
    const file = JSON.parse(readFileSync(join(dir, 'a', `${key.id}.key`), 'utf8')) as Record<string, string>;
    expect(file).toMatchObject({ version: 1, id: key.id, wrappedBy: masters.current.id, callId: 'call-1' });
    const sealed = encryptBytes(Buffer.from('a recorded call'), masters.with(key, { current: true }));
    // Another process: a fresh vault object over the same folder, only the system key in hand.
    const reader = new DataKeyVault(join(dir, 'a'), masters).keyring();
    expect(decryptBytes(sealed, reader).toString()).toBe('a recorded call');
    expect(() => decryptBytes(sealed, masters)).toThrow(/unknown key/); // the system key alone does not open it
    expect(await vault.destroy(key.id, { by: 'dpo', reason: 'request 42', recording: 'R' })).toBe(true);
    expect(new DataKeyVault(join(dir, 'a'), masters).resolve(key.id)).toBeUndefined();
    expect(() => decryptBytes(sealed, new DataKeyVault(join(dir, 'a'), masters).keyring())).toThrow(/unknown key/);
    expect(vault.erased(key.id)).toMatchObject({ id: key.id, by: 'dpo', reason: 'request 42', recording: 'R' });
    expect(await vault.destroy(key.id, { by: 'dpo', reason: 'again' })).toBe(false);
  });

  it('a changed key file, another system key, or a key file swapped to another id: each an error naming the key', async () => {
    const masters = new Keyring([Key.generate()]);
    const vault = new DataKeyVault(join(dir, 'b'), masters);
    const key = await vault.create();
    const path = join(dir, 'b', `${key.id}.key`);
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    writeFileSync(path, JSON.stringify({ ...file, wrapped: `${file.wrapped!.slice(0, -2)}00` }));
    expect(() => new DataKeyVault(join(dir, 'b'), masters).resolve(key.id)).toThrow(new RegExp(`data key ${key.id}: its wrapping does not verify`));
    writeFileSync(path, JSON.stringify(file));
    expect(() => new DataKeyVault(join(dir, 'b'), new Keyring([Key.generate()])).resolve(key.id)).toThrow(/wrapped by system key [0-9a-f]{16}, which is not in the keyring/);
    const other = await vault.create();
    writeFileSync(join(dir, 'b', `${other.id}.key`), JSON.stringify({ ...file, id: other.id }));
    expect(() => new DataKeyVault(join(dir, 'b'), masters).resolve(other.id)).toThrow(/does not verify/); // the id is authenticated with the key
    writeFileSync(path, '{');
    expect(() => new DataKeyVault(join(dir, 'b'), masters).resolve(key.id)).toThrow(/its file .* is unreadable/);
  });
});
