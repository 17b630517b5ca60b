/**
 * G.729 as a {@link StreamDecoder} for the RTP pipeline: payloads of n × 10-byte frames
 * (+ optional 2-byte SID), lost audio concealed by the decoder's erasure concealment, and
 * DTX gaps filled with Annex B comfort noise. Register it with
 * `registerStreamDecoder('g729', createG729StreamDecoder)`.
 */
import type { GapReason, StreamDecoder } from '../stream-decoder.js';
import { SID_FRAME_BYTES, SPEECH_FRAME_BYTES } from './bitstream.js';
import { G729Decoder, G729_FRAME_SAMPLES } from './decoder.js';
import type { G729Variant } from './decoder.js';

const EMPTY = new Uint8Array(0);

export class G729StreamDecoder implements StreamDecoder {
  readonly codec = 'g729' as const;
  readonly sampleRate = 8000;
  readonly rtpClockRate = 8000;
  private readonly decoder: G729Decoder;
  private buffer = new Int16Array(6 * G729_FRAME_SAMPLES);

  constructor(variant: G729Variant = 'g729') {
    this.decoder = new G729Decoder({ variant });
  }

  private frames(count: number): Int16Array {
    const need = count * G729_FRAME_SAMPLES;
    if (this.buffer.length < need) this.buffer = new Int16Array(need);
    return this.buffer;
  }

  decode(payload: Uint8Array): Int16Array {
    const speech = Math.floor(payload.length / SPEECH_FRAME_BYTES);
    const sid = payload.length % SPEECH_FRAME_BYTES === SID_FRAME_BYTES ? 1 : 0;
    const out = this.frames(speech + sid);
    for (let f = 0; f < speech; f++) {
      this.decoder.decodeFrame(payload.subarray(f * SPEECH_FRAME_BYTES, (f + 1) * SPEECH_FRAME_BYTES), out, f * G729_FRAME_SAMPLES);
    }
    if (sid) this.decoder.decodeFrame(payload.subarray(speech * SPEECH_FRAME_BYTES), out, speech * G729_FRAME_SAMPLES);
    return out.subarray(0, (speech + sid) * G729_FRAME_SAMPLES);
  }

  /** Whole 10 ms frames are generated (rounded up); the first `samples` are returned. */
  conceal(samples: number, reason: GapReason): Int16Array {
    const count = Math.ceil(Math.max(0, samples) / G729_FRAME_SAMPLES);
    const out = this.frames(count);
    for (let f = 0; f < count; f++) this.decoder.decodeFrame(reason === 'dtx' ? EMPTY : null, out, f * G729_FRAME_SAMPLES);
    return out.subarray(0, Math.max(0, samples));
  }

  reset(): void {
    this.decoder.reset();
  }
}

/** Factory for the stream-decoder registry (full G.729 decoder). */
export function createG729StreamDecoder(): StreamDecoder {
  return new G729StreamDecoder();
}
