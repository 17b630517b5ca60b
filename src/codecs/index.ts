export { decodeG711, encodeG711, ALAW_DECODE_TABLE, ULAW_DECODE_TABLE } from './g711/index.js';
export type { G711Law } from './g711/index.js';
export {
  createStreamDecoder,
  registerStreamDecoder,
  supportedCodecs,
  codecFromEncodingName,
  STATIC_PAYLOAD_CODECS,
} from './stream-decoder.js';
export type { CodecName, GapReason, StreamDecoder, StreamDecoderFactory } from './stream-decoder.js';
export { decodeRawStream, encodeRawStream, registerRawCodec, RAW_DECODE_CODECS, RAW_ENCODE_CODECS } from './raw-stream.js';
export type { RawCodecName, RawDecodeOptions, RawDecodeResult } from './raw-stream.js';
