/** Seeded pseudo-random numbers for the G.722 tests (xorshift32: small, and the same on every machine). */
export function seededGenerator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

export function seededBytes(length: number, seed: number): Uint8Array {
  const next = seededGenerator(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = next() >>> 24;
  return bytes;
}
