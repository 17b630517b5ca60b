import { SealedPartialFile } from '../../platform/crypto/index.js';
import type { Key } from '../../platform/crypto/index.js';
import { PartialFile } from '../../platform/util/index.js';
import type { LandingOptions } from '../../platform/util/index.js';

/** Where a recording writer writes: a partial file landed when complete, sealed as it is written with `seal`. */
export type RecordingFile = PartialFile | SealedPartialFile;

export interface RecordingFileOptions {
  /** fsync before the file is renamed into place (default true). */
  readonly durable?: boolean;
  readonly landing?: LandingOptions;
  /** Encrypt under this key as it is written: nothing readable reaches the disk. */
  readonly seal?: Key;
}

export function openRecordingFile(path: string, options: RecordingFileOptions): RecordingFile {
  const durable = options.durable !== false;
  return options.seal ? new SealedPartialFile(path, options.seal, durable, options.landing) : new PartialFile(path, durable, options.landing);
}
