import { decodeG711, encodeG711 } from './g711/index.js';

/** Codec names of `recorder codec` (DESIGN contract). */
export type RawCodecName = 'pcma' | 'pcmu' | 'g722' | 'g729' | 'g729a';

export interface RawDecodeOptions {
  /** G.729: input is the ITU-T serial test format. */
  readonly ituSerial?: boolean;
}

export interface RawDecodeResult {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

type RawDecoder = (bytes: Uint8Array, options: RawDecodeOptions) => RawDecodeResult;
type RawEncoder = (pcm: Int16Array) => Uint8Array;

const decoders = new Map<RawCodecName, RawDecoder>([
  ['pcma', (bytes) => ({ samples: decodeG711('alaw', bytes), sampleRate: 8000 })],
  ['pcmu', (bytes) => ({ samples: decodeG711('ulaw', bytes), sampleRate: 8000 })],
]);
const encoders = new Map<RawCodecName, RawEncoder>([
  ['pcma', (pcm) => encodeG711('alaw', pcm)],
  ['pcmu', (pcm) => encodeG711('ulaw', pcm)],
]);

export function registerRawCodec(codec: RawCodecName, decode: RawDecoder, encode?: RawEncoder): void {
  decoders.set(codec, decode);
  if (encode) encoders.set(codec, encode);
}

export const RAW_DECODE_CODECS: readonly RawCodecName[] = ['pcma', 'pcmu', 'g722', 'g729', 'g729a'];
export const RAW_ENCODE_CODECS: readonly RawCodecName[] = ['pcma', 'pcmu', 'g722'];

export function decodeRawStream(codec: RawCodecName, bytes: Uint8Array, options: RawDecodeOptions = {}): RawDecodeResult {
  if (options.ituSerial && codec !== 'g729' && codec !== 'g729a') throw new Error('--itu-serial applies to G.729 only');
  const decoder = decoders.get(codec);
  if (!decoder) throw new Error(`codec ${codec} cannot be decoded by this build`);
  return decoder(bytes, options);
}

export function encodeRawStream(codec: RawCodecName, pcm: Int16Array): Uint8Array {
  const encoder = encoders.get(codec);
  if (!encoder) throw new Error(`codec ${codec} cannot be encoded by this build`);
  return encoder(pcm);
}
