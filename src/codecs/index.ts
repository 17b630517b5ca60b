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

import { G729Decoder, createG729StreamDecoder, decodeG729Payload, decodeItuSerial } from './g729/index.js';
import type { G729Variant } from './g729/index.js';
registerStreamDecoder('g729', createG729StreamDecoder);

/** A raw G.729 stream: consecutive 10-byte frames; a trailing 2-byte remainder is a SID frame. Or the ITU-T serial format. */
function decodeRawG729(variant: G729Variant) {
  return (bytes: Uint8Array, options: { ituSerial?: boolean }) => {
    if (options.ituSerial) return { samples: decodeItuSerial(bytes, variant), sampleRate: 8000 };
    const remainder = bytes.length % 10;
    if (remainder !== 0 && remainder !== 2) throw new Error(`${bytes.length} bytes is not a whole number of 10-byte G.729 frames (plus at most one 2-byte SID frame)`);
    return { samples: decodeG729Payload(bytes, new G729Decoder({ variant })), sampleRate: 8000 };
  };
}
registerRawCodec('g729', decodeRawG729('g729'));
registerRawCodec('g729a', decodeRawG729('g729a'));
export { G729Decoder, decodeG729Payload, decodeItuSerial, parseItuSerial } from './g729/index.js';
export type { G729Variant } from './g729/index.js';
