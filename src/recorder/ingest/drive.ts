import { createHash } from 'node:crypto';
import { hasCaptureExtension } from '../../domain/index.js';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { createEncryptStream } from '../../platform/crypto/index.js';
import type { Keyring } from '../../platform/crypto/index.js';

/** A capture file as a drive lists it. */
export interface DriveEntry {
  /** File name inside the capture directory (no directory part). */
  readonly name: string;
  readonly size: number;
  /** Last modification, ms since epoch (0 when the drive does not say). */
  readonly modified: number;
}

export interface DownloadResult {
  readonly bytes: number;
  /** SHA-256 of the bytes received, hex. */
  readonly sha256: string;
}

/**
 * Where captures appear: the gateway's CF card over WebDAV, or a local /
 * mounted directory. The ingestor needs only these three operations.
 */
export interface CaptureDrive {
  /** The capture files now in the directory (no sub-directories). */
  list(signal?: AbortSignal): Promise<DriveEntry[]>;
  /**
   * Copy one file to `destination` (which the caller owns), created 0600. With `seal`, what is written is the
   * file encrypted under the keyring's current key (the result still counts and hashes the plaintext).
   */
  download(name: string, destination: string, signal?: AbortSignal, seal?: Keyring): Promise<DownloadResult>;
  remove(name: string, signal?: AbortSignal): Promise<void>;
  /** Where it is, for logs (never with credentials). */
  describe(): string;
}

export type DriveErrorCode = 'unreachable' | 'unauthorised' | 'vanished' | 'changed-during-copy' | 'verify-failed' | 'io';

/** A drive operation that failed, with what kind of failure it was and which file. */
export class DriveError extends Error {
  constructor(
    readonly code: DriveErrorCode,
    readonly drive: string,
    readonly file: string | undefined,
    reason: string,
  ) {
    super(`${drive}${file ? `/${file}` : ''}: ${reason}`);
    this.name = 'DriveError';
  }
}

/** Capture files the gateway and phones write (the endings every part takes: domain CAPTURE_EXTENSIONS); no hidden or partial files. */
export function isCaptureName(name: string): boolean {
  return hasCaptureExtension(name) && !name.startsWith('.') && !/[\\/]/.test(name);
}

/** Where a download writes: the file (0600), encrypted on the way when `seal` is given. */
export function downloadSink(destination: string, seal?: Keyring): NodeJS.WritableStream[] {
  const file = createWriteStream(destination, { mode: 0o600 });
  return seal ? [createEncryptStream(seal), file] : [file];
}

/** A pass-through stream that counts and hashes what flows through it (a download's verification). */
export function countingHash(): { stream: Transform; result(): DownloadResult } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ bytes, sha256: hash.digest('hex') }) };
}
