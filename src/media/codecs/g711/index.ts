/**
 * ITU-T G.711 A-law and µ-law. Decoding is a table lookup built once from the
 * Recommendation's segment/quantisation rules; encoding follows the same rules
 * (A-law: even bits inverted; µ-law: bias 0x84, all bits inverted).
 */

function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = (mantissa << 4) + 8;
  if (exponent !== 0) magnitude = (magnitude + 0x100) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** 256-entry decode tables: code byte → 16-bit linear sample. */
export const ALAW_DECODE_TABLE: Int16Array = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));
export const ULAW_DECODE_TABLE: Int16Array = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));

function linearToAlaw(sample: number): number {
  let sign: number;
  let magnitude: number;
  if (sample >= 0) {
    sign = 0x80;
    magnitude = sample;
  } else {
    sign = 0x00;
    magnitude = -sample - 1;
  }
  magnitude >>= 3; // A-law works on 13-bit magnitudes
  let exponent = 0;
  if (magnitude >= 0x20) {
    exponent = 1;
    while (magnitude >= 0x40 && exponent < 7) {
      magnitude >>= 1;
      exponent++;
    }
    if (magnitude >= 0x40) magnitude = 0x3f; // clip beyond the last segment
  }
  const mantissa = exponent === 0 ? magnitude >> 1 : (magnitude >> 1) & 0x0f;
  return (sign | (exponent << 4) | mantissa) ^ 0x55;
}

function linearToUlaw(sample: number): number {
  const ULAW_CLIP = 32635;
  let sign = 0;
  let magnitude = sample;
  if (magnitude < 0) {
    sign = 0x80;
    magnitude = -magnitude;
  }
  if (magnitude > ULAW_CLIP) magnitude = ULAW_CLIP;
  magnitude += 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** 65536-entry encode tables indexed by (sample & 0xffff). Built lazily: 128 kB each. */
let alawEncodeTable: Uint8Array | undefined;
let ulawEncodeTable: Uint8Array | undefined;

function encodeTable(law: 'alaw' | 'ulaw'): Uint8Array {
  if (law === 'alaw') {
    if (!alawEncodeTable) {
      alawEncodeTable = new Uint8Array(65536);
      for (let i = 0; i < 65536; i++) alawEncodeTable[i] = linearToAlaw((i << 16) >> 16);
    }
    return alawEncodeTable;
  }
  if (!ulawEncodeTable) {
    ulawEncodeTable = new Uint8Array(65536);
    for (let i = 0; i < 65536; i++) ulawEncodeTable[i] = linearToUlaw((i << 16) >> 16);
  }
  return ulawEncodeTable;
}

export type G711Law = 'alaw' | 'ulaw';

/** Decode G.711 bytes to 16-bit samples, into `out` when given (must hold bytes.length samples). */
export function decodeG711(law: G711Law, bytes: Uint8Array, out?: Int16Array, outOffset = 0): Int16Array {
  const table = law === 'alaw' ? ALAW_DECODE_TABLE : ULAW_DECODE_TABLE;
  const target = out ?? new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) target[outOffset + i] = table[bytes[i]!]!;
  return target;
}

/** Encode 16-bit samples to G.711 bytes. */
export function encodeG711(law: G711Law, samples: Int16Array, out?: Uint8Array, outOffset = 0): Uint8Array {
  const table = encodeTable(law);
  const target = out ?? new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) target[outOffset + i] = table[samples[i]! & 0xffff]!;
  return target;
}
