import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UnsupportedFormatError } from './errors.js';
import { deriveSubkey } from './keys.js';
import type { Key, Keyring } from './keys.js';
import { decryptBytes, encryptBytes } from './stream.js';
import { hasContainerMagic } from './container.js';

export const SIGNATURE_ALGORITHM = 'HMAC-SHA256';
const SIGNING_KEY_INFO = 'recorder audio signature v1';
const SIGNED_MESSAGE_PREFIX = Buffer.from('recorder audio signature v1\0', 'latin1');
const BOUND_MESSAGE_PREFIX = Buffer.from('recorder recording signature v2\0', 'latin1');

/** The integrity record of a plain recording, kept (with the call data) in its XML sidecar. */
export interface RecordingSignature {
  readonly algorithm: typeof SIGNATURE_ALGORITHM;
  /** Id of the master key the signing key was derived from. */
  readonly keyId: string;
  /** SHA-256 of the audio file's bytes, hex. */
  readonly digest: string;
  /** HMAC-SHA-256 under the derived signing key over a domain tag and the raw digest (and the binding, below), hex. */
  readonly signature: string;
  /**
   * The recording's name (its file name without extensions) when the signature binds the pair (v2): then the MAC
   * also covers this name and the digest of the sidecar without its signature line, so that neither file can be
   * swapped for another recording's, nor the pair moved under another name. Absent in v1 signatures (audio only).
   */
  readonly name?: string;
}

/** What a v2 signature binds besides the audio: the recording's name and its sidecar's content. */
export interface SignatureBinding {
  readonly name: string;
  /** SHA-256 (hex) of the sidecar text without its signature line (see unsignedSidecarDigest). */
  readonly sidecarDigest: string;
}

export type RecordingVerdict = 'intact' | 'tampered' | 'unknown-key';

/** The signing key: HKDF-SHA-256 of the master key (no salt, fixed info), so it is never the encryption key itself. */
function signingKey(key: Key): Buffer {
  return deriveSubkey(key, SIGNING_KEY_INFO);
}

function mac(key: Key, digest: Buffer): Buffer {
  return createHmac('sha256', signingKey(key)).update(SIGNED_MESSAGE_PREFIX).update(digest).digest();
}

function boundMac(key: Key, digest: Buffer, binding: SignatureBinding): Buffer {
  const name = Buffer.from(binding.name, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return createHmac('sha256', signingKey(key))
    .update(BOUND_MESSAGE_PREFIX)
    .update(length)
    .update(name)
    .update(digest)
    .update(Buffer.from(binding.sidecarDigest, 'hex'))
    .digest();
}

/** `dir/NAME.wav`, `NAME.wav.enc`, `NAME.mp3`, `NAME.opus` → `NAME`: the name a v2 signature binds. */
export function recordingNameOf(path: string): string {
  let name = path.slice(path.lastIndexOf('/') + 1);
  if (name.endsWith('.enc')) name = name.slice(0, -4);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The signature line as the sidecar writers put it: on a line of its own. */
const SIGNATURE_LINE = /^[ \t]*<signature\b[^>]*\/>[ \t]*\r?\n/m;

/** SHA-256 of a sidecar's text with its signature line taken out: what a v2 signature covers of the sidecar. */
export function unsignedSidecarDigest(xml: string): string {
  return createHash('sha256').update(xml.replace(SIGNATURE_LINE, ''), 'utf8').digest('hex');
}

/** SHA-256 of a file, streamed. */
export async function digestFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/**
 * Sign a digest already computed (e.g. of decrypted audio) under the keyring's current key; with a binding, the
 * signature also covers the recording's name and its sidecar (v2).
 */
export function signDigest(digest: string, keyring: Keyring, binding?: SignatureBinding): RecordingSignature {
  const key = keyring.current;
  const raw = Buffer.from(digest, 'hex');
  if (binding === undefined) return { algorithm: SIGNATURE_ALGORITHM, keyId: key.id, digest, signature: mac(key, raw).toString('hex') };
  return { algorithm: SIGNATURE_ALGORITHM, keyId: key.id, digest, signature: boundMac(key, raw, binding).toString('hex'), name: binding.name };
}

/** Sign the audio file's bytes under the keyring's current key. */
export async function signRecording(audioPath: string, keyring: Keyring, binding?: SignatureBinding): Promise<RecordingSignature> {
  return signDigest(await digestFile(audioPath), keyring, binding);
}

/** A verdict and, when it is not 'intact', what did not match. */
export interface SignatureCheck {
  readonly verdict: RecordingVerdict;
  readonly reason?: string;
}

/**
 * Check a signature against the digest of the audio as it is now and, for a v2 signature, against the name the
 * recording is found under and its sidecar as it is now (`binding`; without it a v2 signature cannot be intact).
 */
export function checkSignature(digest: string, info: RecordingSignature, keyring: Keyring, binding?: SignatureBinding): SignatureCheck {
  if (info.algorithm !== SIGNATURE_ALGORITHM) throw new UnsupportedFormatError(`signature algorithm ${String(info.algorithm)} is not supported`);
  const key = keyring.get(info.keyId);
  if (!key) return { verdict: 'unknown-key', reason: `unknown key ${info.keyId}: not in the keyring` };
  const stored = /^[0-9a-f]{64}$/.test(info.signature) ? Buffer.from(info.signature, 'hex') : Buffer.alloc(32);
  const raw = Buffer.from(digest, 'hex');
  if (info.name === undefined) {
    // v1: the MAC over the digest the file has now: a changed file, digest or signature all end here.
    const intact = timingSafeEqual(stored, mac(key, raw)) && info.digest === digest;
    return intact ? { verdict: 'intact' } : { verdict: 'tampered', reason: 'the audio does not match its signature' };
  }
  if (binding === undefined) return { verdict: 'tampered', reason: 'the signature binds a sidecar that was not given' };
  // The name as signed comes first in the MAC: a pair moved under another name fails even when both files are its own.
  const intact = timingSafeEqual(stored, boundMac(key, raw, { name: info.name, sidecarDigest: binding.sidecarDigest }));
  if (intact && info.name === binding.name && info.digest === digest) return { verdict: 'intact' };
  if (info.digest !== digest) return { verdict: 'tampered', reason: 'the audio does not match its signature (changed, or another recording\'s)' };
  if (!intact) return { verdict: 'tampered', reason: 'the sidecar does not match its signature (changed, or another recording\'s)' };
  return { verdict: 'tampered', reason: `signed as ${info.name} but found as ${binding.name}: the recording was renamed or swapped` };
}

/** Check a signature against the digest of the audio as it is now (see checkSignature). */
export function verifyDigest(digest: string, info: RecordingSignature, keyring: Keyring, binding?: SignatureBinding): RecordingVerdict {
  return checkSignature(digest, info, keyring, binding).verdict;
}

/** Check a plain recording against the signature from its sidecar. */
export async function verifyRecording(audioPath: string, info: RecordingSignature, keyring: Keyring, binding?: SignatureBinding): Promise<RecordingVerdict> {
  if (!keyring.has(info.keyId)) return 'unknown-key';
  return verifyDigest(await digestFile(audioPath), info, keyring, binding);
}

/** The sidecar fragment: `<signature algorithm="HMAC-SHA256" keyId="…" digest="…" [name="…"] value="…"/>`. */
export function signatureToXml(info: RecordingSignature): string {
  const name = info.name === undefined ? '' : ` name="${escapeAttribute(info.name)}"`;
  return `<signature algorithm="${info.algorithm}" keyId="${info.keyId}" digest="${info.digest}"${name} value="${info.signature}"/>`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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
  const name = attributes.get('name');
  return { algorithm, keyId, digest, signature, ...(name !== undefined ? { name: unescapeAttribute(name) } : {}) };
}

function unescapeAttribute(value: string): string {
  return value.replace(/&(lt|gt|quot|apos|amp);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[entity]!);
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
