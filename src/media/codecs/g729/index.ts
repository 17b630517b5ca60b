/**
 * G.729 / Annex A / Annex B decoder, bit-exact with the ITU-T reference decoders.
 * See README.md in this folder.
 */
export { G729Decoder, G729_FRAME_SAMPLES, decodeG729Payload } from './decoder.js';
export type { G729DecoderOptions, G729Variant } from './decoder.js';
export { SID_FRAME_BYTES, SPEECH_FRAME_BYTES, parseItuSerial, unpackSidFrame, unpackSpeechFrame } from './bitstream.js';
export { decodeItuSerial } from './serial.js';
export { G729StreamDecoder, createG729StreamDecoder } from './stream.js';
export { kernelsAvailable, kernelsUnavailableReason } from './kernels.js';
export type { G729Kernels } from './kernels.js';
