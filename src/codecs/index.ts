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

// Codecs beyond G.711 register their stream and raw decoders here, so every user of this folder sees them.
import { registerRawCodec } from './raw-stream.js';
import { registerStreamDecoder } from './stream-decoder.js';
import { createG722StreamDecoder, decodeG722, encodeG722 } from './g722/index.js';
registerStreamDecoder('g722', createG722StreamDecoder);
registerRawCodec(
  'g722',
  (bytes) => ({ samples: decodeG722(bytes), sampleRate: 16000 }),
  (pcm) => encodeG722(pcm),
);
export { G722Decoder, G722Encoder, decodeG722, encodeG722 } from './g722/index.js';
export type { G722Mode } from './g722/index.js';
