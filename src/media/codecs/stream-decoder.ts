import { decodeG711 } from './g711/index.js';
import type { G711Law } from './g711/index.js';

import type { CodecName } from '../../domain/index.js';

export type { CodecName };

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

/** A G.711 stream decoder (A-law or µ-law). */
export function createG711StreamDecoder(codec: 'pcma' | 'pcmu'): StreamDecoder {
  return new G711StreamDecoder(codec);
}
