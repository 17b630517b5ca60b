/**
 * ITU-T G.722 (7 kHz audio within 64 kbit/s): SB-ADPCM encoder and decoder in
 * all three modes, bit-exact with the Recommendation's fixed-point arithmetic.
 */
export { G722Decoder, G722Encoder, decodeG722, encodeG722, G722_SAMPLE_RATE } from './codec.js';
export type { G722Mode } from './codec.js';
export { G722StreamDecoder, createG722StreamDecoder } from './stream.js';
