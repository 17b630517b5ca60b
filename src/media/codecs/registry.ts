// The codecs the recorder decodes, described once: every layer (RTP demultiplexing, SDP mapping, the decoders,
// `recorder codec`, the simulator) looks a codec up here instead of keeping its own list.
import { decodeG711, encodeG711 } from './g711/index.js';
import { createG722StreamDecoder, decodeG722, encodeG722 } from './g722/index.js';
import { G729Decoder, createG729StreamDecoder, decodeG729Payload, decodeItuSerial } from './g729/index.js';
import type { G729Variant } from './g729/index.js';
import { createG711StreamDecoder } from './stream-decoder.js';
import type { CodecName, StreamDecoder } from './stream-decoder.js';

export interface RawDecodeOptions {
  /** G.729: input is the ITU-T serial test format. */
  readonly ituSerial?: boolean;
}

export interface RawDecodeResult {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

export interface CodecDescriptor {
  readonly name: CodecName;
  /** As people write it: "G.711 A-law". */
  readonly title: string;
  /** Static RTP payload type (RFC 3551 Table 4). */
  readonly payloadType: number;
  /** Encoding names SDP uses for it in a=rtpmap (upper case). */
  readonly encodingNames: readonly string[];
  /** RTP timestamp units per second (G.722: 8000, RFC 3551 §4.5.2). */
  readonly clockRate: number;
  /** Decoded samples per second. */
  readonly sampleRate: number;
  /** A frame: this many payload bytes decode to this many samples (G.711 1:1, G.722 1:2, G.729 10:80). */
  readonly frameBytes: number;
  readonly frameSamples: number;
  /** A new decoder for one RTP stream (keeps its state between packets). */
  createDecoder(): StreamDecoder;
  /** Decode a raw payload stream (`recorder codec decode`). */
  decodeRaw(bytes: Uint8Array, options: RawDecodeOptions): RawDecodeResult;
  /** Encode 16-bit PCM at sampleRate (`recorder codec encode`, the simulator); absent where only decoding is built. */
  encodeRaw?(pcm: Int16Array): Uint8Array;
}

/** A raw G.729 stream: consecutive 10-byte frames; a trailing 2-byte remainder is a SID frame. Or the ITU-T serial format. */
export function decodeRawG729(variant: G729Variant): CodecDescriptor['decodeRaw'] {
  return (bytes, options) => {
    if (options.ituSerial) return { samples: decodeItuSerial(bytes, variant), sampleRate: 8000 };
    const remainder = bytes.length % 10;
    if (remainder !== 0 && remainder !== 2) throw new Error(`${bytes.length} bytes is not a whole number of 10-byte G.729 frames (plus at most one 2-byte SID frame)`);
    return { samples: decodeG729Payload(bytes, new G729Decoder({ variant })), sampleRate: 8000 };
  };
}

/** G.711 in either law: one byte a sample at 8 kHz (RFC 3551 §4.5.14). */
function g711Codec(name: 'pcmu' | 'pcma', law: 'ulaw' | 'alaw', title: string, payloadType: number): CodecDescriptor {
  return {
    name,
    title,
    payloadType,
    encodingNames: [name.toUpperCase()],
    clockRate: 8000,
    sampleRate: 8000,
    frameBytes: 1,
    frameSamples: 1,
    createDecoder: () => createG711StreamDecoder(name),
    decodeRaw: (bytes) => ({ samples: decodeG711(law, bytes), sampleRate: 8000 }),
    encodeRaw: (pcm) => encodeG711(law, pcm),
  };
}

export const CODECS: readonly CodecDescriptor[] = [
  g711Codec('pcmu', 'ulaw', 'G.711 µ-law', 0),
  g711Codec('pcma', 'alaw', 'G.711 A-law', 8),
  {
    name: 'g722',
    title: 'G.722',
    payloadType: 9,
    encodingNames: ['G722'],
    clockRate: 8000,
    sampleRate: 16000,
    frameBytes: 1,
    frameSamples: 2,
    createDecoder: createG722StreamDecoder,
    decodeRaw: (bytes) => ({ samples: decodeG722(bytes), sampleRate: 16000 }),
    encodeRaw: (pcm) => encodeG722(pcm),
  },
  {
    name: 'g729',
    title: 'G.729',
    payloadType: 18,
    // Annexes A and B share the payload format (RFC 3551 §4.5.6); SDP sometimes names them.
    encodingNames: ['G729', 'G729A', 'G729B', 'G729AB'],
    clockRate: 8000,
    sampleRate: 8000,
    frameBytes: 10,
    frameSamples: 80,
    createDecoder: createG729StreamDecoder,
    decodeRaw: decodeRawG729('g729'),
  },
];

const BY_NAME = new Map(CODECS.map((codec) => [codec.name, codec]));
const BY_PAYLOAD_TYPE = new Map(CODECS.map((codec) => [codec.payloadType, codec]));
const BY_ENCODING = new Map(CODECS.flatMap((codec) => codec.encodingNames.map((encoding) => [encoding, codec] as const)));

export function codecDescriptor(name: CodecName): CodecDescriptor {
  return BY_NAME.get(name)!;
}

/** The codec of a static RTP payload type, or undefined. */
export function codecOfPayloadType(payloadType: number): CodecName | undefined {
  return BY_PAYLOAD_TYPE.get(payloadType)?.name;
}

/** Map an SDP rtpmap encoding name (case-insensitive) to a codec we know. */
export function codecFromEncodingName(name: string): CodecName | undefined {
  return BY_ENCODING.get(name.toUpperCase())?.name;
}

/** A new decoder for `codec`, or undefined when this build cannot decode it. */
export function createStreamDecoder(codec: CodecName): StreamDecoder | undefined {
  return BY_NAME.get(codec)?.createDecoder();
}

