// The codecs: one registry describes each (payload type, clock and sample rate, frame size, decoder), the
// decoders themselves per codec folder.
export { decodeG711, encodeG711, ALAW_DECODE_TABLE, ULAW_DECODE_TABLE } from './g711/index.js';
export type { G711Law } from './g711/index.js';
export { CODECS, codecDescriptor, codecFromEncodingName, codecOfPayloadType, createStreamDecoder } from './registry.js';
export type { CodecDescriptor, RawDecodeOptions, RawDecodeResult } from './registry.js';
export type { CodecName, GapReason, StreamDecoder } from './stream-decoder.js';
export { decodeRawStream, encodeRawStream, RAW_DECODE_CODECS, RAW_ENCODE_CODECS } from './raw-stream.js';
export type { RawCodecName } from './raw-stream.js';
export { G722Decoder, G722Encoder, decodeG722, encodeG722 } from './g722/index.js';
export type { G722Mode } from './g722/index.js';
export { G729Decoder, decodeG729Payload, decodeItuSerial, parseItuSerial } from './g729/index.js';
export type { G729Variant } from './g729/index.js';
