import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CryptoError } from '../../../src/platform/crypto/index.js';
import type { CryptoErrorCode } from '../../../src/platform/crypto/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';

/** Deterministic pseudo-random bytes, so failures can be reproduced. */
export function seededBytes(length: number, seed: number): Buffer {
  const random = mulberry32(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** The code of the CryptoError `run` throws; fails the test on success or on any other error. */
export function cryptoErrorCode(run: () => unknown): CryptoErrorCode {
  try {
    run();
  } catch (error) {
    if (error instanceof CryptoError) return error.code;
    throw new Error(`expected a CryptoError, got ${String(error)}`);
  }
  throw new Error('expected a CryptoError, but it succeeded');
}

export async function cryptoErrorCodeAsync(run: () => Promise<unknown>): Promise<CryptoErrorCode> {
  try {
    await run();
  } catch (error) {
    if (error instanceof CryptoError) return error.code;
    throw new Error(`expected a CryptoError, got ${String(error)}`);
  }
  throw new Error('expected a CryptoError, but it succeeded');
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `recorder-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
