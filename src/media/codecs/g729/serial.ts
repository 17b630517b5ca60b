/** Decoding of whole ITU-T serial bitstreams (the test-vector format). */
import { parseItuSerial } from './bitstream.js';
import { G729Decoder, G729_FRAME_SAMPLES } from './decoder.js';
import type { G729Variant } from './decoder.js';
import type { G729Kernels } from './kernels.js';

/** Decode an ITU-T serial bitstream (.BIT / .bit) with a fresh decoder; 80 samples per frame. */
export function decodeItuSerial(data: Uint8Array, variant: G729Variant = 'g729', kernels: G729Kernels = 'auto'): Int16Array {
  const frames = parseItuSerial(data);
  const decoder = new G729Decoder({ variant, kernels });
  const out = new Int16Array(frames.length * G729_FRAME_SAMPLES);
  for (let i = 0; i < frames.length; i++) decoder.decodeFrame(frames[i]!, out, i * G729_FRAME_SAMPLES);
  return out;
}
