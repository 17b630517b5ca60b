import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UnsupportedFormatError } from './errors.js';
import { keyMaterial } from './keys.js';
import type { Key, Keyring } from './keys.js';
import { decryptBytes, encryptBytes } from './stream.js';
import { hasContainerMagic } from './container.js';

export const SIGNATURE_ALGORITHM = 'HMAC-SHA256';
const SIGNING_KEY_INFO = Buffer.from('recorder audio signature v1', 'latin1');
const SIGNED_MESSAGE_PREFIX = Buffer.from('recorder audio signature v1\0', 'latin1');

/** The integrity record of a plain recording, kept (with the call data) in its XML sidecar. */
export interface RecordingSignature {
  readonly algorithm: typeof SIGNATURE_ALGORITHM;
  /** Id of the master key the signing key was derived from. */
  readonly keyId: string;
  /** SHA-256 of the audio file's bytes, hex. */
  readonly digest: string;
  /** HMAC-SHA-256 under the derived signing key over a domain tag and the raw digest, hex. */
  readonly signature: string;
}

export type RecordingVerdict = 'intact' | 'tampered' | 'unknown-key';

/** The signing key: HKDF-SHA-256 of the master key (no salt, fixed info), so it is never the encryption key itself. */
function signingKey(key: Key): Buffer {
  return Buffer.from(hkdfSync('sha256', keyMaterial(key), Buffer.alloc(0), SIGNING_KEY_INFO, 32));
}

function mac(key: Key, digest: Buffer): Buffer {
  return createHmac('sha256', signingKey(key)).update(SIGNED_MESSAGE_PREFIX).update(digest).digest();
}

/** SHA-256 of a file, streamed. */
export async function digestFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** Sign a digest already computed (e.g. of decrypted audio) under the keyring's current key. */
export function signDigest(digest: string, keyring: Keyring): RecordingSignature {
  const key = keyring.current;
  return { algorithm: SIGNATURE_ALGORITHM, keyId: key.id, digest, signature: mac(key, Buffer.from(digest, 'hex')).toString('hex') };
}

/** Sign the audio file's bytes under the keyring's current key. */
export async function signRecording(audioPath: string, keyring: Keyring): Promise<RecordingSignature> {
  return signDigest(await digestFile(audioPath), keyring);
}

/** Check a signature against the digest of the audio as it is now. */
export function verifyDigest(digest: string, info: RecordingSignature, keyring: Keyring): RecordingVerdict {
  if (info.algorithm !== SIGNATURE_ALGORITHM) throw new UnsupportedFormatError(`signature algorithm ${String(info.algorithm)} is not supported`);
  const key = keyring.get(info.keyId);
  if (!key) return 'unknown-key';
  const stored = /^[0-9a-f]{64}$/.test(info.signature) ? Buffer.from(info.signature, 'hex') : Buffer.alloc(32);
  // The MAC over the digest the file has now: a changed file, digest or signature all end here.
  const expected = mac(key, Buffer.from(digest, 'hex'));
  const sameMac = timingSafeEqual(stored, expected);
  return sameMac && info.digest === digest ? 'intact' : 'tampered';
}

/** Check a plain recording against the signature from its sidecar. */
export async function verifyRecording(audioPath: string, info: RecordingSignature, keyring: Keyring): Promise<RecordingVerdict> {
  if (!keyring.has(info.keyId)) return 'unknown-key';
  return verifyDigest(await digestFile(audioPath), info, keyring);
}

/** The sidecar fragment: `<signature algorithm="HMAC-SHA256" keyId="…" digest="…" value="…"/>`. */
export function signatureToXml(info: RecordingSignature): string {
  return `<signature algorithm="${info.algorithm}" keyId="${info.keyId}" digest="${info.digest}" value="${info.signature}"/>`;
}

/** Find and read the signature fragment in a sidecar; undefined when there is none or it is malformed. */
export function signatureFromXml(xml: string): RecordingSignature | undefined {
  const element = /<signature\b([^>]*)\/?>/.exec(xml);
  if (!element) return undefined;
  const attributes = new Map<string, string>();
  for (const match of element[1]!.matchAll(/([A-Za-z]+)\s*=\s*"([^"]*)"/g)) attributes.set(match[1]!, match[2]!);
  const algorithm = attributes.get('algorithm');
  const keyId = attributes.get('keyId');
  const digest = attributes.get('digest');
  const signature = attributes.get('value');
  if (algorithm !== SIGNATURE_ALGORITHM || !keyId || !/^[0-9a-f]{16}$/.test(keyId) || !digest || !/^[0-9a-f]{64}$/.test(digest) || !signature || !/^[0-9a-f]{64}$/.test(signature)) {
    return undefined;
  }
  return { algorithm, keyId, digest, signature };
}

/** Encrypt a sidecar's XML in the container: confidential (call data is personal) and authenticated as a whole. */
export function sealSidecar(xml: string, keyring: Keyring): Buffer {
  return encryptBytes(Buffer.from(xml, 'utf8'), keyring, { chunkSize: 64 * 1024 });
}

/** Read a sidecar, decrypting it when it is a container; `encrypted: false` means nothing in it is authenticated but the audio signature's own MAC. */
export function openSidecar(bytes: Uint8Array, keyring: Keyring): { xml: string; encrypted: boolean } {
  if (hasContainerMagic(bytes)) return { xml: decryptBytes(bytes, keyring).toString('utf8'), encrypted: true };
  return { xml: Buffer.from(bytes).toString('utf8'), encrypted: false };
}
