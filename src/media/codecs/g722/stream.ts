/**
 * G.722 behind the recorder's StreamDecoder contract (src/media/codecs/stream-decoder.ts),
 * ready for `registerStreamDecoder('g722', createG722StreamDecoder)`.
 */
import type { GapReason, StreamDecoder } from '../stream-decoder.js';
import { G722Decoder, G722_SAMPLE_RATE } from './codec.js';

export class G722StreamDecoder implements StreamDecoder {
  readonly codec = 'g722' as const;
  readonly sampleRate = G722_SAMPLE_RATE;
  /** RFC 3551 §4.5.2: G.722's RTP clock is 8000 Hz although it samples at 16 kHz. */
  readonly rtpClockRate = 8000;
  private readonly decoder = new G722Decoder(64);
  private buffer = new Int16Array(640);
  private silence = new Int16Array(640);

  decode(payload: Uint8Array): Int16Array {
    const samples = payload.length * 2;
    if (this.buffer.length < samples) this.buffer = new Int16Array(samples);
    return this.decoder.decode(payload, this.buffer.subarray(0, samples));
  }

  conceal(samples: number, _reason: GapReason): Int16Array {
    // The G.722 core defines no concealment (Appendices III/IV are optional
    // add-ons): the gap is silence and the ADPCM state carries on, as a plain
    // G.722 receiver does.
    if (this.silence.length < samples) this.silence = new Int16Array(samples);
    const gap = this.silence.subarray(0, samples);
    gap.fill(0); // a caller may have written into the last view
    return gap;
  }

  reset(): void {
    this.decoder.reset();
  }
}

export function createG722StreamDecoder(): StreamDecoder {
  return new G722StreamDecoder();
}
