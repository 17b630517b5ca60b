import { xorshift32 } from '../../../../src/platform/util/index.js';

/** Seeded pseudo-random numbers for the G.722 tests: the project's xorshift32, the same on every machine. */
export const seededGenerator = xorshift32;

export function seededBytes(length: number, seed: number): Uint8Array {
  const next = seededGenerator(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = next() >>> 24;
  return bytes;
}
