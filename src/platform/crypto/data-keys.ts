// Per-recording data keys (crypto-shredding): each recording is sealed under a key of its own, kept in this vault
// wrapped by the system key (AES-256-GCM under a sub-key derived for this purpose; the key's id is authenticated
// with it). Erasing a recording destroys its data key: every copy of its files — the backup tree, a bucket's old
// versions, a tape — becomes unreadable, and a tombstone says when, why and by whom, so a check of such a copy says
// "erased", not "tampered" or "unknown key". The vault is one small file per key, so destroying one touches no other.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { fsyncDir, writeFileDurable, writeNewFile } from '../util/index.js';
import { join } from 'node:path';
import { BadKeyError } from './errors.js';
import { Key, deriveSubkey, keyMaterial } from './keys.js';
import type { Keyring } from './keys.js';

const WRAP_INFO = 'recorder data key wrap v1';
const WRAP_AAD = 'recorder-data-key-v1';

interface WrappedKeyFile {
  readonly version: 1;
  readonly id: string;
  /** The system key that wraps it. */
  readonly wrappedBy: string;
  readonly iv: string;
  readonly wrapped: string;
  readonly tag: string;
  readonly createdAt: string;
  /** The recording's call it was made for (an operator's clue; not needed to open anything). */
  readonly callId?: string;
}

/** What is left of an erased recording's key: when, why, by whom. */
export interface ErasedKey {
  readonly id: string;
  readonly erasedAt: string;
  readonly by: string;
  readonly reason: string;
  readonly recording?: string;
}

export class DataKeyVault {
  readonly #cache = new Map<string, Key>();

  constructor(
    readonly dir: string,
    /** The system keys: the current one wraps new data keys; any of them unwraps what it wrapped. */
    private readonly masters: Keyring,
  ) {
    if (/[\\/]$/.test(dir) && dir.length > 1) throw new BadKeyError(`data key vault: ${dir}: give the folder without a trailing separator`);
  }

  /** A new random data key, wrapped and written (file and folder fsynced) before it is handed out. */
  async create(callId?: string): Promise<Key> {
    const key = Key.generate();
    const master = this.masters.current;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', deriveSubkey(master, WRAP_INFO), iv);
    cipher.setAAD(Buffer.from(`${WRAP_AAD} ${key.id}`, 'latin1'));
    const wrapped = Buffer.concat([cipher.update(keyMaterial(key)), cipher.final()]);
    const file: WrappedKeyFile = { version: 1, id: key.id, wrappedBy: master.id, iv: iv.toString('hex'), wrapped: wrapped.toString('hex'), tag: cipher.getAuthTag().toString('hex'), createdAt: new Date().toISOString(), ...(callId !== undefined ? { callId } : {}) };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeNewFile(join(this.dir, `${key.id}.key`), `${JSON.stringify(file)}\n`);
    // The key's name in its folder must outlive a crash as surely as the recording sealed under it.
    await fsyncDir(this.dir);
    this.#cache.set(key.id, key);
    return key;
  }

  /** The data key with this id, or undefined (no such key, or erased). A damaged key file is an error. */
  resolve(id: string): Key | undefined {
    if (!/^[0-9a-f]{16}$/.test(id)) return undefined;
    const cached = this.#cache.get(id);
    if (cached) return cached;
    let file: WrappedKeyFile;
    try {
      file = JSON.parse(readFileSync(join(this.dir, `${id}.key`), 'utf8')) as WrappedKeyFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new BadKeyError(`data key ${id}: its file in ${this.dir} is unreadable: ${(error as Error).message}`);
    }
    const master = this.masters.get(file.wrappedBy);
    if (!master) throw new BadKeyError(`data key ${id} is wrapped by system key ${file.wrappedBy}, which is not in the keyring`);
    const decipher = createDecipheriv('aes-256-gcm', deriveSubkey(master, WRAP_INFO), Buffer.from(file.iv, 'hex'));
    decipher.setAAD(Buffer.from(`${WRAP_AAD} ${id}`, 'latin1'));
    decipher.setAuthTag(Buffer.from(file.tag, 'hex'));
    let bytes: Buffer;
    try {
      bytes = Buffer.concat([decipher.update(Buffer.from(file.wrapped, 'hex')), decipher.final()]);
    } catch {
      throw new BadKeyError(`data key ${id}: its wrapping does not verify under system key ${file.wrappedBy} (the key file was changed)`);
    }
    const key = Key.fromBytes(bytes);
    if (key.id !== id) throw new BadKeyError(`data key ${id}: the file holds key ${key.id}`);
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(id, key);
    return key;
  }

  /**
   * Destroy a data key (crypto-shredding): its file is overwritten, fsynced and removed, and a tombstone written.
   * True when there was a key to destroy. (On flash storage the overwrite is best effort: the wrapping under the
   * system key is what protects a copy that survives in the medium.)
   */
  async destroy(id: string, tombstone: Omit<ErasedKey, 'id' | 'erasedAt'>): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new BadKeyError(`data key id: expected 16 hex digits, got ${JSON.stringify(id)}`);
    const path = join(this.dir, `${id}.key`);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const erased: ErasedKey = { id, erasedAt: new Date().toISOString(), ...tombstone };
    await writeFileDurable(join(this.dir, `${id}.erased`), `${JSON.stringify(erased)}\n`);
    this.#cache.delete(id);
    let handle;
    try {
      handle = await open(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      await handle.write(Buffer.alloc(size), 0, size, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(path);
    await fsyncDir(this.dir);
    return true;
  }

  /** The tombstone of an erased key, or undefined. */
  erased(id: string): ErasedKey | undefined {
    if (!/^[0-9a-f]{16}$/.test(id)) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.dir, `${id}.erased`), 'utf8')) as ErasedKey;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The system keys with this vault behind them: every reader of recordings opens data-key-sealed files. */
  keyring(): Keyring {
    return this.masters.withResolver((id) => this.resolve(id));
  }
}
