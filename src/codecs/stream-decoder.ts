import { decodeG711 } from './g711/index.js';
import type { G711Law } from './g711/index.js';

/** Audio codecs the recorder decodes. */
export type CodecName = 'pcma' | 'pcmu' | 'g722' | 'g729';

/**
 * Decodes one RTP stream's payloads in sequence order. Stateful codecs keep
 * their state between calls; `conceal` is called for lost audio so that a
 * codec with concealment (G.729) can fill it, others give silence.
 */
export interface StreamDecoder {
  readonly codec: CodecName;
  /** Output samples per second. */
  readonly sampleRate: number;
  /** RTP timestamp units per second (RFC 3551: G.722 is clocked at 8000 although it carries 16 kHz audio). */
  readonly rtpClockRate: number;
  /** Set when each payload byte is one G.711 sample of this law: a track can keep the bytes and decode them later. */
  readonly g711Law?: G711Law;
  /** Decode one payload. The returned view is valid until the next call. */
  decode(payload: Uint8Array): Int16Array;
  /**
   * Audio for `samples` output samples that no packet carried: 'lost' (a
   * sequence gap: concealment) or 'dtx' (the sender stopped sending during
   * silence: comfort noise where the codec defines it). The returned view is
   * valid until the next call.
   */
  conceal(samples: number, reason: GapReason): Int16Array;
  /** Forget all state (new SSRC). */
  reset(): void;
}

export type GapReason = 'lost' | 'dtx';

export type StreamDecoderFactory = () => StreamDecoder;

class G711StreamDecoder implements StreamDecoder {
  readonly sampleRate = 8000;
  readonly rtpClockRate = 8000;
  readonly g711Law: G711Law;
  private buffer = new Int16Array(480);

  constructor(readonly codec: 'pcma' | 'pcmu') {
    this.g711Law = codec === 'pcma' ? 'alaw' : 'ulaw';
  }

  decode(payload: Uint8Array): Int16Array {
    if (this.buffer.length < payload.length) this.buffer = new Int16Array(payload.length);
    const out = this.buffer.subarray(0, payload.length);
    decodeG711(this.g711Law, payload, out);
    return out;
  }

  conceal(samples: number, _reason: GapReason): Int16Array {
    // G.711 has no concealment of its own: lost audio is silence of the right length.
    return new Int16Array(samples);
  }

  reset(): void {
    // stateless
  }
}

const factories = new Map<CodecName, StreamDecoderFactory>([
  ['pcma', () => new G711StreamDecoder('pcma')],
  ['pcmu', () => new G711StreamDecoder('pcmu')],
]);

/** Register a decoder for a codec (each codec module registers itself from codecs/index.ts). */
export function registerStreamDecoder(codec: CodecName, factory: StreamDecoderFactory): void {
  factories.set(codec, factory);
}

/** A new decoder for `codec`, or undefined when this build cannot decode it. */
export function createStreamDecoder(codec: CodecName): StreamDecoder | undefined {
  return factories.get(codec)?.();
}

export function supportedCodecs(): CodecName[] {
  return [...factories.keys()];
}

/** Static RTP payload types (RFC 3551) of the codecs we decode. */
export const STATIC_PAYLOAD_CODECS: ReadonlyMap<number, CodecName> = new Map<number, CodecName>([
  [0, 'pcmu'],
  [8, 'pcma'],
  [9, 'g722'],
  [18, 'g729'],
]);

/** Map an SDP rtpmap encoding name (case-insensitive) to a codec we know. */
export function codecFromEncodingName(name: string): CodecName | undefined {
  switch (name.toUpperCase()) {
    case 'PCMA':
      return 'pcma';
    case 'PCMU':
      return 'pcmu';
    case 'G722':
      return 'g722';
    case 'G729':
    case 'G729A':
    case 'G729B':
    case 'G729AB':
      return 'g729';
    default:
      return undefined;
  }
}
