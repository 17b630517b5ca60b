import { createHash, hkdfSync, randomBytes, scrypt as scryptCallback } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { jsonObjectOrUndefined } from '../util/index.js';
import { BadKeyError, WrongPassphraseError } from './errors.js';

/** Bytes in every key: AES-256. */
export const KEY_BYTES = 32;
/** Bytes of the key id (shown as 16 hex digits). */
export const KEY_ID_BYTES = 8;
const KEY_ID_DOMAIN = 'recorder key id v1\0';

/** scrypt cost for passphrase keys (OWASP 2023 figure: N=2^17, r=8, p=1 → 128 MiB, a few hundred ms once per process). */
export const DEFAULT_SCRYPT = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
const SCRYPT_SALT_BYTES = 32;
const DEFINITION_FORMAT = 'recorder-key-definition';

// Key material lives only here, keyed by its Key object: it is not a property, so no inspect, JSON.stringify,
// spread or structuredClone of a Key can reach it.
const material = new WeakMap<Key, Buffer>();

/** The short public name of a key: first 8 bytes of SHA-256 over a domain tag and the key, in hex. */
export function keyIdOf(bytes: Uint8Array): string {
  return createHash('sha256').update(KEY_ID_DOMAIN).update(bytes).digest().subarray(0, KEY_ID_BYTES).toString('hex');
}

/** An AES-256 key. Only its id is ever shown; the bytes are reachable only inside src/platform/crypto. */
export class Key {
  readonly id: string;
  /** Where the key came from, for messages: 'file', 'passphrase' or 'bytes'. */
  readonly origin: 'file' | 'passphrase' | 'bytes';

  private constructor(bytes: Buffer, origin: Key['origin']) {
    this.id = keyIdOf(bytes);
    this.origin = origin;
    material.set(this, bytes);
  }

  /** A key from 32 bytes (copied, so the caller may wipe its buffer). */
  static fromBytes(bytes: Uint8Array, origin: Key['origin'] = 'bytes'): Key {
    if (bytes.length !== KEY_BYTES) throw new BadKeyError(`a key is ${KEY_BYTES} bytes, got ${bytes.length}`);
    return new Key(Buffer.from(bytes), origin);
  }

  /** A fresh random key. */
  static generate(): Key {
    return new Key(randomBytes(KEY_BYTES), 'bytes');
  }

  toString(): string {
    return `Key(${this.id})`;
  }

  toJSON(): { keyId: string } {
    return { keyId: this.id };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The key bytes, for the cipher code in this folder only (not exported from index.ts). */
export function keyMaterial(key: Key): Buffer {
  const bytes = material.get(key);
  if (!bytes) throw new BadKeyError(`key ${key.id} has no material`);
  return bytes;
}

/**
 * A key for one purpose derived from a master key: HKDF-SHA-256 of its material, no salt, `info` naming the
 * purpose, 32 bytes. The master key itself is never used for more than one thing.
 */
export function deriveSubkey(key: Key, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', keyMaterial(key), Buffer.alloc(0), Buffer.from(info, 'latin1'), 32));
}

/**
 * The keys a process knows: the system key and any customer keys. One of them is current (new files are
 * encrypted and signed with it); every key opens the files made with it, so rotating only changes `current`.
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, Key>;
  readonly #currentId: string | undefined;
  /** Keys looked up elsewhere by id (per-recording data keys): asked for ids this ring does not hold. */
  readonly #resolve: ((id: string) => Key | undefined) | undefined;

  constructor(keys: readonly Key[] = [], currentId?: string, resolve?: (id: string) => Key | undefined) {
    const map = new Map<string, Key>();
    for (const key of keys) map.set(key.id, key);
    if (currentId !== undefined && !map.has(currentId)) throw new BadKeyError(`current key ${currentId} is not in the keyring`);
    this.#keys = map;
    this.#currentId = currentId ?? keys[0]?.id;
    this.#resolve = resolve;
  }

  /** The same keys, also opening files sealed with keys `resolve` finds by id (a data key vault). */
  withResolver(resolve: (id: string) => Key | undefined): Keyring {
    return new Keyring([...this.#keys.values()], this.#currentId, resolve);
  }

  /** The key for new files; throws when the ring is empty. */
  get current(): Key {
    const key = this.#currentId === undefined ? undefined : this.#keys.get(this.#currentId);
    if (!key) throw new BadKeyError('the keyring is empty: give a key');
    return key;
  }

  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  get size(): number {
    return this.#keys.size;
  }

  get(id: string): Key | undefined {
    return this.#keys.get(id) ?? this.#resolve?.(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** The same keys with another one current (rotation). */
  withCurrent(id: string): Keyring {
    return new Keyring([...this.#keys.values()], id, this.#resolve);
  }

  /** These keys plus one more, optionally made current. */
  with(key: Key, options: { current?: boolean } = {}): Keyring {
    return new Keyring([...this.#keys.values(), key], options.current ? key.id : this.#currentId, this.#resolve);
  }

  toString(): string {
    return `Keyring(${this.ids.map((id) => (id === this.#currentId ? `${id}*` : id)).join(', ')})`;
  }

  toJSON(): { current: string | undefined; keyIds: string[] } {
    return { current: this.#currentId, keyIds: this.ids };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** scrypt parameters and salt of a passphrase key, stored in a key definition file (no secret in it). */
export interface PassphraseKeyDefinition {
  readonly format: typeof DEFINITION_FORMAT;
  readonly version: 1;
  readonly kdf: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** base64 of 32 random bytes. */
  readonly salt: string;
  /** Id of the derived key: a wrong passphrase derives another id and is refused. */
  readonly keyId: string;
}

export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

function checkScrypt(params: ScryptParameters): void {
  const { N, r, p } = params;
  const powerOfTwo = Number.isInteger(N) && N >= 2 ** 10 && N <= 2 ** 22 && (N & (N - 1)) === 0;
  if (!powerOfTwo || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) {
    throw new BadKeyError(`scrypt parameters out of range (N a power of two 2^10..2^22, r 1..32, p 1..16): N=${N} r=${r} p=${p}`);
  }
}

function scrypt(passphrase: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(passphrase.normalize('NFC'), salt, KEY_BYTES, options, (error, derived) => (error ? reject(new BadKeyError(`scrypt failed: ${error.message}`)) : resolve(derived)));
  });
}

/** Make a key from a passphrase with a fresh salt; the definition (salt, cost, key id) is what gets stored. */
export async function createPassphraseKey(passphrase: string, params: ScryptParameters = DEFAULT_SCRYPT): Promise<{ key: Key; definition: PassphraseKeyDefinition }> {
  if (passphrase.length === 0) throw new BadKeyError('empty passphrase');
  checkScrypt(params);
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = Key.fromBytes(await scrypt(passphrase, salt, params), 'passphrase');
  const definition: PassphraseKeyDefinition = { format: DEFINITION_FORMAT, version: 1, kdf: 'scrypt', N: params.N, r: params.r, p: params.p, salt: salt.toString('base64'), keyId: key.id };
  return { key, definition };
}

/** Re-derive a passphrase key from its definition; a passphrase giving another key id is refused. */
export async function keyFromPassphrase(passphrase: string, definition: PassphraseKeyDefinition): Promise<Key> {
  checkScrypt(definition);
  const salt = Buffer.from(definition.salt, 'base64');
  if (salt.length < 16) throw new BadKeyError('key definition salt is shorter than 16 bytes');
  const key = Key.fromBytes(await scrypt(passphrase, salt, definition), 'passphrase');
  if (key.id !== definition.keyId) throw new WrongPassphraseError(`wrong passphrase: it derives key ${key.id}, the definition names ${definition.keyId}`);
  return key;
}

function parseDefinition(text: string): PassphraseKeyDefinition | undefined {
  const d = jsonObjectOrUndefined(text);
  if (d?.format !== DEFINITION_FORMAT) return undefined;
  const numbers = ['N', 'r', 'p'].every((k) => typeof d[k] === 'number');
  if (d.version !== 1 || d.kdf !== 'scrypt' || !numbers || typeof d.salt !== 'string' || typeof d.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(d.keyId)) {
    throw new BadKeyError('key definition: expected version 1, kdf scrypt, numbers N r p, base64 salt and a 16-hex-digit keyId');
  }
  return d as unknown as PassphraseKeyDefinition;
}

/** What a key file holds: raw key bytes, or a passphrase key definition still needing its passphrase. */
export type KeyFileContent = { kind: 'key'; key: Key } | { kind: 'passphrase'; definition: PassphraseKeyDefinition };

/**
 * Read key file contents: 64 hex digits, base64 (or base64url) of 32 bytes, exactly 32 raw bytes, or a JSON
 * passphrase key definition. Errors describe the shape, never the content.
 */
export function parseKeyFile(bytes: Uint8Array): KeyFileContent {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return { kind: 'key', key: Key.fromBytes(Buffer.from(text, 'hex'), 'file') };
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const decoded = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (decoded.length === KEY_BYTES) return { kind: 'key', key: Key.fromBytes(decoded, 'file') };
  }
  if (text.startsWith('{')) {
    const definition = parseDefinition(buffer.toString('utf8'));
    if (definition) return { kind: 'passphrase', definition };
  }
  if (buffer.length === KEY_BYTES) return { kind: 'key', key: Key.fromBytes(buffer, 'file') };
  throw new BadKeyError(`not a key file: expected 64 hex digits, base64 of 32 bytes, 32 raw bytes or a passphrase key definition (${buffer.length} bytes read)`);
}

export interface ReadKeyOptions {
  /** Passphrase for a passphrase key definition (ignored for plain key files). */
  readonly passphrase?: string;
}

/** Load one key from a key file; errors name the file, never its content. */
export async function readKeyFile(path: string, options: ReadKeyOptions = {}): Promise<Key> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadKeyError(`${path}: cannot read key file (${code ?? 'error'})`);
  }
  try {
    const content = parseKeyFile(bytes);
    if (content.kind === 'key') return content.key;
    if (options.passphrase === undefined) throw new BadKeyError('passphrase key definition: a passphrase is needed');
    return await keyFromPassphrase(options.passphrase, content.definition);
  } catch (error) {
    if (error instanceof Error) error.message = `${path}: ${error.message}`;
    throw error;
  } finally {
    bytes.fill(0);
  }
}

/** Load several key files into a keyring; the first is current. */
export async function readKeyring(paths: readonly string[], options: ReadKeyOptions = {}): Promise<Keyring> {
  const keys: Key[] = [];
  for (const path of paths) keys.push(await readKeyFile(path, options));
  return new Keyring(keys);
}

/** Write a file that must not exist yet, readable by its owner only. */
async function writePrivateFile(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.chmod(0o600); // the umask could have narrowed it further, never widened, but be explicit
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write a new random key as 64 hex digits to a file that must not exist (mode 0600). */
export async function generateKeyFile(path: string): Promise<Key> {
  const bytes = randomBytes(KEY_BYTES);
  const key = Key.fromBytes(bytes, 'file');
  await writePrivateFile(path, `${bytes.toString('hex')}\n`);
  bytes.fill(0);
  return key;
}

/** Write a passphrase key definition (salt, scrypt cost, key id — no secret) to a new file (mode 0600). */
export async function generatePassphraseKeyFile(path: string, passphrase: string, params: ScryptParameters = DEFAULT_SCRYPT): Promise<Key> {
  const { key, definition } = await createPassphraseKey(passphrase, params);
  await writePrivateFile(path, `${JSON.stringify(definition, null, 2)}\n`);
  return key;
}
