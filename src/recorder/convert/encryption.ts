import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { decryptIterable, hasContainerMagic, parseHeader, readKeyring, UnknownKeyError } from '../../platform/crypto/index.js';
import type { Keyring } from '../../platform/crypto/index.js';

/** Keys for the converter. Plain strings (not a Keyring) so the options cross into worker threads. */
export interface ConvertEncryption {
  /** Key files; the first is current (used for plain inputs when encryptOutputs is on). */
  readonly keyFiles: readonly string[];
  /** Passphrase for passphrase key definitions. */
  readonly passphrase?: string;
  /** Encrypt the recordings of plain captures too (encrypted captures always give encrypted recordings). */
  readonly encryptOutputs?: boolean;
  /** The keys already read, for a conversion in this thread (a Keyring does not cross into worker threads). */
  readonly keyring?: Keyring;
}

/**
 * The keys a service (or a worker of its queue) converts with, from its [encryption] settings: undefined when
 * encryption is off. Outputs are always sealed: a working copy left plain (copied before encryption was switched
 * on) still gives a sealed recording.
 */
export function serviceConvertKeys(encryption: { readonly enabled: boolean; readonly keyFiles: readonly string[]; readonly passphraseEnv: string }, env: NodeJS.ProcessEnv = process.env): ConvertEncryption | undefined {
  if (!encryption.enabled || encryption.keyFiles.length === 0) return undefined;
  const passphrase = env[encryption.passphraseEnv];
  return { keyFiles: encryption.keyFiles, encryptOutputs: true, ...(passphrase !== undefined ? { passphrase } : {}) };
}

const keyrings = new Map<string, Promise<Keyring>>();

/** One keyring per process and key set: scrypt for a passphrase key runs once, not per file. */
export function keyringFor(encryption: ConvertEncryption): Promise<Keyring> {
  if (encryption.keyring) return Promise.resolve(encryption.keyring);
  const cacheKey = JSON.stringify([encryption.keyFiles, encryption.passphrase ?? null]);
  let keyring = keyrings.get(cacheKey);
  if (!keyring) {
    keyring = readKeyring(encryption.keyFiles, encryption.passphrase !== undefined ? { passphrase: encryption.passphrase } : {});
    keyrings.set(cacheKey, keyring);
    keyring.catch(() => keyrings.delete(cacheKey));
  }
  return keyring;
}

/** The key id of an encrypted file, or undefined for a plain one. */
export async function encryptedKeyId(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    if (!hasContainerMagic(bytes)) return undefined;
    return parseHeader(bytes).keyId;
  } finally {
    await handle.close();
  }
}

/** The plaintext of an encrypted capture, decrypted and authenticated piece by piece as it is read. */
export function decryptedPieces(path: string, keyring: Keyring): AsyncIterable<Uint8Array> {
  return decryptIterable(createReadStream(path, { highWaterMark: 1 << 20 }), keyring);
}

/** The keyring that seals outputs under `keyId` (the key that opened the input), with a clear error if it is not known. */
export function sealingKeyring(keyring: Keyring, keyId: string, file: string): Keyring {
  if (!keyring.has(keyId)) throw new UnknownKeyError(`${file}: encrypted under key ${keyId}, which is not in the keyring`);
  return keyring.withCurrent(keyId);
}
