/**
 * G.722 SB-ADPCM encoder and decoder (ITU-T G.722 sections 3–6). One octet
 * carries one lower-band code IL (6 bits, low) and one higher-band code IH
 * (2 bits, high) for two 16 kHz samples.
 */
import { AnalysisQmf, SynthesisQmf } from './qmf.js';
import { HIGHER_BAND_CODING, lowerBandCoding, newBandState, resetBandState, runBand } from './band.js';
import type { BandCoding } from './band.js';
import { LOWER_INVERSE_4, LOWER_INVERSE_5, LOWER_INVERSE_6 } from './tables.js';

/**
 * Operating mode by bit rate in kbit/s: 64 (mode 1, 6 lower-band bits), 56
 * (mode 2, 5 bits; the octet's lowest bit is auxiliary data) or 48 (mode 3,
 * 4 bits; the two lowest bits are data).
 */
export type G722Mode = 64 | 56 | 48;


/** Audio samples per second at the codec's input and output. */
export const G722_SAMPLE_RATE = 16000;

function checkMode(mode: G722Mode): void {
  if (mode !== 64 && mode !== 56 && mode !== 48) throw new RangeError(`G.722 mode must be 64, 56 or 48 (kbit/s), not ${String(mode)}`);
}

/** Lower-band coding per mode: the decoder's output inverse quantiser (INVQBL) reads 6, 5 or 4 bits of IL. */
const LOWER_CODING: Record<G722Mode, BandCoding> = {
  64: lowerBandCoding(LOWER_INVERSE_6, 0),
  56: lowerBandCoding(LOWER_INVERSE_5, 1),
  48: lowerBandCoding(LOWER_INVERSE_4, 2),
};

/** Octets processed per pass through the bands: bounds the work buffers whatever the input size. */
const BLOCK_OCTETS = 4096;

/** Per-band work buffers for one block, grown to the largest block seen (so steady streaming allocates nothing). */
class Scratch {
  lowerCodes = new Int32Array(0);
  higherCodes = new Int32Array(0);
  lowerSignal = new Int32Array(0);
  higherSignal = new Int32Array(0);

  ensure(count: number): void {
    if (this.lowerCodes.length >= count) return;
    const size = Math.min(Math.max(count, 512), BLOCK_OCTETS);
    this.lowerCodes = new Int32Array(size);
    this.higherCodes = new Int32Array(size);
    this.lowerSignal = new Int32Array(size);
    this.higherSignal = new Int32Array(size);
  }
}

/**
 * Streaming G.722 decoder: state carries across `decode` calls (one RTP
 * payload after another); `reset()` returns it to the Recommendation's reset
 * state.
 */
export class G722Decoder {
  private readonly lowerCoding: BandCoding;
  private readonly lowerBand: Int32Array;
  private readonly higherBand = newBandState(HIGHER_BAND_CODING);
  private readonly qmf = new SynthesisQmf();
  private readonly scratch = new Scratch();

  constructor(readonly mode: G722Mode = 64) {
    checkMode(mode);
    this.lowerCoding = LOWER_CODING[mode];
    this.lowerBand = newBandState(this.lowerCoding);
  }

  /**
   * Decode `payload` (any number of octets) to 2 samples per octet. Writes
   * into `out` when given (it must hold 2 × payload.length samples) and
   * returns the written view; otherwise allocates.
   */
  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    const count = payload.length;
    let target: Int16Array;
    if (out) {
      if (out.length < 2 * count) throw new RangeError(`G.722 output buffer holds ${out.length} samples, ${2 * count} needed`);
      target = out.length === 2 * count ? out : out.subarray(0, 2 * count);
    } else {
      target = new Int16Array(2 * count);
    }
    const scratch = this.scratch;
    scratch.ensure(count);
    const lowerCodes = scratch.lowerCodes;
    const higherCodes = scratch.higherCodes;
    for (let start = 0; start < count; start += BLOCK_OCTETS) {
      const n = Math.min(BLOCK_OCTETS, count - start);
      for (let i = 0; i < n; i++) {
        const octet = payload[start + i]!;
        lowerCodes[i] = octet & 63;
        higherCodes[i] = octet >> 6;
      }
      runBand(this.lowerBand, this.lowerCoding, false, n, scratch.lowerSignal, lowerCodes, scratch.lowerSignal);
      runBand(this.higherBand, HIGHER_BAND_CODING, false, n, scratch.higherSignal, higherCodes, scratch.higherSignal);
      this.qmf.mergeBlock(scratch.lowerSignal, scratch.higherSignal, n, target, 2 * start);
    }
    return target;
  }

  reset(): void {
    resetBandState(this.lowerBand, this.lowerCoding);
    resetBandState(this.higherBand, HIGHER_BAND_CODING);
    this.qmf.reset();
  }
}

/**
 * Streaming G.722 encoder (always computes the full 6-bit lower-band code; in
 * the 56 and 48 kbit/s modes the bits given to the data channel are sent as
 * 0). Input is 16 kHz 16-bit PCM, two samples per octet; an odd sample left
 * at the end of a call waits for the next call (or `flush()`).
 */
export class G722Encoder {
  private readonly lowerBand = newBandState(LOWER_CODING[64]);
  private readonly higherBand = newBandState(HIGHER_BAND_CODING);
  private readonly qmf = new AnalysisQmf();
  private readonly scratch = new Scratch();
  private readonly keepMask: number;
  private pending = 0;
  private hasPending = false;

  constructor(readonly mode: G722Mode = 64) {
    checkMode(mode);
    this.keepMask = mode === 64 ? 0xff : mode === 56 ? 0xfe : 0xfc;
  }

  /** Octets the next `encode(pcm)` call will produce. */
  outputLength(samples: number): number {
    return (samples + (this.hasPending ? 1 : 0)) >> 1;
  }

  /**
   * Encode `pcm`; writes into `out` when given (it must hold
   * `outputLength(pcm.length)` octets) and returns the written view.
   */
  encode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
    const count = this.outputLength(pcm.length);
    let target: Uint8Array;
    if (out) {
      if (out.length < count) throw new RangeError(`G.722 output buffer holds ${out.length} octets, ${count} needed`);
      target = out.length === count ? out : out.subarray(0, count);
    } else {
      target = new Uint8Array(count);
    }
    const scratch = this.scratch;
    scratch.ensure(count);
    const lowerSignal = scratch.lowerSignal;
    const higherSignal = scratch.higherSignal;
    let from = 0; // next unread sample of pcm
    for (let at = 0; at < count; ) {
      const n = Math.min(BLOCK_OCTETS, count - at);
      let filled = 0;
      if (this.hasPending) {
        // The odd sample left by the previous call pairs with this call's first.
        this.qmf.split(this.pending, pcm[0]!);
        lowerSignal[0] = this.qmf.lower;
        higherSignal[0] = this.qmf.higher;
        this.hasPending = false;
        from = 1;
        filled = 1;
      }
      this.qmf.splitBlock(pcm, from, n - filled, lowerSignal, higherSignal, filled);
      from += 2 * (n - filled);
      this.encodeBlock(n, target, at);
      at += n;
    }
    if (from < pcm.length) {
      this.pending = pcm[from]!;
      this.hasPending = true;
    }
    return target;
  }

  /**
   * Encode a last odd sample, if one is pending, by repeating it (ffmpeg's
   * adpcm_g722 encoder does the same with an odd-length input); returns the
   * octets written (0 or 1).
   */
  flush(out?: Uint8Array): Uint8Array {
    if (!this.hasPending) return out ? out.subarray(0, 0) : new Uint8Array(0);
    const target = (out ?? new Uint8Array(1)).subarray(0, 1);
    this.scratch.ensure(1);
    this.qmf.split(this.pending, this.pending);
    this.scratch.lowerSignal[0] = this.qmf.lower;
    this.scratch.higherSignal[0] = this.qmf.higher;
    this.hasPending = false;
    this.encodeBlock(1, target, 0);
    return target;
  }

  /** Quantise `count` band sample pairs from the scratch signals into octets IH·64 + IL at target[at…]. */
  private encodeBlock(count: number, target: Uint8Array, at: number): void {
    const scratch = this.scratch;
    runBand(this.lowerBand, LOWER_CODING[64], true, count, scratch.lowerSignal, scratch.lowerCodes, scratch.lowerSignal);
    runBand(this.higherBand, HIGHER_BAND_CODING, true, count, scratch.higherSignal, scratch.higherCodes, scratch.higherSignal);
    const lowerCodes = scratch.lowerCodes;
    const higherCodes = scratch.higherCodes;
    const keepMask = this.keepMask;
    for (let i = 0; i < count; i++) target[at + i] = ((higherCodes[i]! << 6) | lowerCodes[i]!) & keepMask;
  }

  reset(): void {
    resetBandState(this.lowerBand, LOWER_CODING[64]);
    resetBandState(this.higherBand, HIGHER_BAND_CODING);
    this.qmf.reset();
    this.hasPending = false;
    this.pending = 0;
  }
}

/** Decode a whole G.722 byte stream (reset state at the start) to 16 kHz PCM. */
export function decodeG722(bytes: Uint8Array, mode: G722Mode = 64): Int16Array {
  return new G722Decoder(mode).decode(bytes);
}

/** Encode whole 16 kHz PCM (reset state at the start); an odd last sample is repeated to fill its octet. */
export function encodeG722(pcm16k: Int16Array, mode: G722Mode = 64): Uint8Array {
  const encoder = new G722Encoder(mode);
  const out = new Uint8Array((pcm16k.length + 1) >> 1);
  const body = encoder.encode(pcm16k, out);
  encoder.flush(out.subarray(body.length));
  return out;
}
