import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { ContainerOpener, HEADER_BYTES, hasContainerMagic, parseHeader } from './container.js';
import { CryptoError } from './errors.js';
import type { Keyring } from './keys.js';
import { checkSignature, digestFile, openSidecar, recordingNameOf, signatureFromXml, unsignedSidecarDigest } from './signature.js';
import type { RecordingSignature, SignatureBinding } from './signature.js';

/** Verdict on one file: `unsigned` = neither encrypted nor signed, so nothing can vouch for it. */
export type FileVerdict = 'intact' | 'tampered' | 'unknown-key' | 'truncated' | 'unsigned' | 'unreadable';

export interface FileVerification {
  readonly file: string;
  readonly status: FileVerdict;
  /** encrypted = a container; signed = plain audio with a signature in its sidecar; plain = neither. */
  readonly kind: 'encrypted' | 'signed' | 'plain';
  readonly keyId?: string;
  /** The sidecar consulted, and whether it was itself encrypted (authenticated as a whole). */
  readonly sidecar?: { readonly path: string; readonly encrypted: boolean };
  /** A signature in the sidecar was checked and matched: the name and the sidecar are vouched for too (v2), not only the audio. */
  readonly signed?: boolean;
  readonly reason?: string;
}

/** `dir/name.wav` and `dir/name.wav.enc` → `dir/name.xml`. */
export function sidecarPathFor(path: string): string {
  let name = basename(path);
  if (name.endsWith('.enc')) name = name.slice(0, -4);
  const ext = extname(name);
  return join(dirname(path), `${ext ? name.slice(0, -ext.length) : name}.xml`);
}

function verdictOf(error: unknown): { status: FileVerdict; reason: string } {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof CryptoError) {
    if (error.code === 'tampered' || error.code === 'unknown-key' || error.code === 'truncated') return { status: error.code, reason };
  }
  return { status: 'unreadable', reason };
}

/** Whether a file is a container (by its first 8 bytes), e.g. to play or serve it decrypted. */
export async function isEncryptedFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return hasContainerMagic(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

type SidecarLookup =
  | { found: false }
  | { found: true; path: string; encrypted: boolean; signature: RecordingSignature | undefined; binding: SignatureBinding }
  | { found: true; path: string; error: unknown };

async function readSignatureSidecar(file: string, keyring: Keyring): Promise<SidecarLookup> {
  const path = sidecarPathFor(file);
  if (path === file) return { found: false };
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return { found: false };
  }
  if (bytes.length === 0) return { found: true, path, error: new Error('is empty') };
  try {
    const { xml, encrypted } = openSidecar(bytes, keyring);
    // What a v2 signature must match: the name the recording is found under and its sidecar as it is now.
    return { found: true, path, encrypted, signature: signatureFromXml(xml), binding: { name: recordingNameOf(file), sidecarDigest: unsignedSidecarDigest(xml) } };
  } catch (error) {
    return { found: true, path, error };
  }
}

/**
 * Verify one recording. A container is decrypted end to end (every chunk authenticated, nothing written); a
 * plain file is checked against the signature in its sidecar. A sidecar signature is checked for containers too.
 */
export async function verifyFile(file: string, keyring: Keyring): Promise<FileVerification> {
  let encrypted: boolean;
  try {
    encrypted = await isEncryptedFile(file);
  } catch (error) {
    return { file, status: 'unreadable', kind: 'plain', reason: error instanceof Error ? error.message : String(error) };
  }
  const sidecar = await readSignatureSidecar(file, keyring);
  const sidecarInfo = sidecar.found && !('error' in sidecar) ? { sidecar: { path: sidecar.path, encrypted: sidecar.encrypted } } : {};
  if (sidecar.found && 'error' in sidecar) {
    const { status, reason } = verdictOf(sidecar.error);
    return { file, status, kind: encrypted ? 'encrypted' : 'signed', reason: `sidecar ${reason}` };
  }
  const signature = sidecar.found && !('error' in sidecar) ? sidecar.signature : undefined;
  const binding = sidecar.found && !('error' in sidecar) ? sidecar.binding : undefined;

  if (encrypted) {
    const opener = new ContainerOpener(keyring);
    const hash = createHash('sha256');
    try {
      for await (const piece of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
        for (const plain of opener.update(piece as Buffer)) hash.update(plain);
      }
      for (const plain of opener.final()) hash.update(plain);
    } catch (error) {
      const keyId = opener.header?.keyId;
      return { file, ...verdictOf(error), kind: 'encrypted', ...(keyId ? { keyId } : {}), ...sidecarInfo };
    }
    const keyId = opener.header!.keyId;
    if (signature) {
      const check = checkSignature(hash.digest('hex'), signature, keyring, binding);
      if (check.verdict !== 'intact') return { file, status: check.verdict, kind: 'encrypted', keyId, ...sidecarInfo, reason: `sidecar signature (key ${signature.keyId}): ${check.reason ?? check.verdict}` };
    }
    return { file, status: 'intact', kind: 'encrypted', keyId, ...sidecarInfo, ...(signature ? { signed: true } : {}) };
  }

  if (!signature) return { file, status: 'unsigned', kind: 'plain', reason: sidecar.found ? 'the sidecar holds no signature' : 'not encrypted and no signed sidecar', ...sidecarInfo };
  try {
    const check = keyring.has(signature.keyId) ? checkSignature(await digestFile(file), signature, keyring, binding) : checkSignature('', signature, keyring);
    return {
      file,
      status: check.verdict,
      kind: 'signed',
      keyId: signature.keyId,
      ...sidecarInfo,
      ...(check.verdict === 'intact' ? { signed: true } : {}),
      ...(check.reason !== undefined ? { reason: check.reason } : {}),
    };
  } catch (error) {
    return { file, ...verdictOf(error), kind: 'signed', keyId: signature.keyId, ...sidecarInfo };
  }
}

/** The key id in a container's first bytes: undefined when they are no (whole) container header. */
export function containerKeyIdIn(header: Uint8Array | undefined): string | undefined {
  return header !== undefined && header.length >= HEADER_BYTES && hasContainerMagic(header) ? parseHeader(header.subarray(0, HEADER_BYTES)).keyId : undefined;
}

/** The key id in a sealed file's header: undefined for a plain, missing or short file. */
export async function containerKeyIdOf(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
    return containerKeyIdIn(header.subarray(0, bytesRead));
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
