// Raw payload streams for `recorder codec`: the codecs of the registry, and G.729 Annex A as a decoder of its own.
import { CODECS, codecDescriptor, decodeRawG729 } from './registry.js';
import type { RawDecodeOptions, RawDecodeResult } from './registry.js';
import type { CodecName } from './stream-decoder.js';

/** Codec names of `recorder codec` (DESIGN contract). */
export type RawCodecName = CodecName | 'g729a';

export const RAW_DECODE_CODECS: readonly RawCodecName[] = [...CODECS.map((codec) => codec.name), 'g729a'];
export const RAW_ENCODE_CODECS: readonly RawCodecName[] = CODECS.filter((codec) => codec.encodeRaw !== undefined).map((codec) => codec.name);

const decodeAnnexA = decodeRawG729('g729a');

export function decodeRawStream(codec: RawCodecName, bytes: Uint8Array, options: RawDecodeOptions = {}): RawDecodeResult {
  if (options.ituSerial && codec !== 'g729' && codec !== 'g729a') throw new Error('--itu-serial applies to G.729 only');
  if (codec === 'g729a') return decodeAnnexA(bytes, options);
  if (!RAW_DECODE_CODECS.includes(codec)) throw new Error(`codec ${String(codec)} cannot be decoded by this build`);
  return codecDescriptor(codec).decodeRaw(bytes, options);
}

export function encodeRawStream(codec: RawCodecName, pcm: Int16Array): Uint8Array {
  const encode = codec === 'g729a' ? undefined : codecDescriptor(codec)?.encodeRaw;
  if (!encode) throw new Error(`codec ${codec} cannot be encoded by this build`);
  return encode(pcm);
}
