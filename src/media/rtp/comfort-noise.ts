// RFC 3389 comfort noise payload (static payload type 13, or a dynamic one bound to CN).

/** A comfort noise (SID) payload. */
export interface ComfortNoise {
  /** Noise level as a positive number of -dBov (0–127): 0 is full scale, 127 is -127 dBov. */
  readonly level: number;
  /**
   * Quantised reflection coefficients of the spectral model (RFC 3389 §3), one
   * octet each; empty when the sender sends the level only. Kept for a later
   * noise generator; the recorder plays silence at this level for now.
   */
  readonly coefficients: Uint8Array;
}

/** Parse a comfort noise payload; null when empty or when the level's reserved high bit is set. */
export function parseComfortNoise(payload: Uint8Array): ComfortNoise | null {
  if (payload.length < 1) return null;
  const level = payload[0]!;
  if (level > 127) return null;
  return { level, coefficients: payload.subarray(1) };
}
