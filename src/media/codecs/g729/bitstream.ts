/**
 * G.729 bitstreams: the 10-octet speech frame and 2-octet Annex B SID frame of RTP
 * (RFC 3551 / RFC 4749 bit order = the Recommendation's bit allocation table, most
 * significant bit first), and the ITU-T test-vector serial format.
 */

/** Bits per parameter of a speech frame (Recommendation Table 8): L0+L1, L2+L3, P1, P0, C1, S1, GA1+GB1, P2, C2, S2, GA2+GB2. */
export const SPEECH_BITS = [8, 10, 8, 1, 13, 4, 7, 5, 13, 4, 7] as const;
/** Bits per parameter of an Annex B SID frame: MA mode, 1st-stage LSF index, 2nd-stage index, energy index (+1 pad bit). */
export const SID_BITS = [1, 5, 4, 5] as const;

export const SPEECH_FRAME_BYTES = 10;
export const SID_FRAME_BYTES = 2;

const SYNC_WORD = 0x6b21;
const BIT_1 = 0x0081;

function unpack(frame: Uint8Array, widths: readonly number[], out: Int32Array | Int16Array): void {
  let bit = 0;
  for (let p = 0; p < widths.length; p++) {
    let v = 0;
    for (let n = widths[p]!; n > 0; n--, bit++) v = (v << 1) | ((frame[bit >> 3]! >> (7 - (bit & 7))) & 1);
    out[p] = v;
  }
}

/** Split a 10-octet speech frame into its 11 parameters. */
export function unpackSpeechFrame(frame: Uint8Array, prm: Int32Array): void {
  if (frame.length < SPEECH_FRAME_BYTES) {
    unpack(frame, SPEECH_BITS, prm);
    return;
  }
  // The fields of SPEECH_BITS at bit offsets 0, 8, 18, 26, 27, 40, 44, 51, 56, 69, 73.
  const b0 = frame[0]!, b1 = frame[1]!, b2 = frame[2]!, b3 = frame[3]!, b4 = frame[4]!;
  const b5 = frame[5]!, b6 = frame[6]!, b7 = frame[7]!, b8 = frame[8]!, b9 = frame[9]!;
  prm[0] = b0;
  prm[1] = (b1 << 2) | (b2 >> 6);
  prm[2] = ((b2 & 0x3f) << 2) | (b3 >> 6);
  prm[3] = (b3 >> 5) & 1;
  prm[4] = ((b3 & 0x1f) << 8) | b4;
  prm[5] = b5 >> 4;
  prm[6] = ((b5 & 0x0f) << 3) | (b6 >> 5);
  prm[7] = b6 & 0x1f;
  prm[8] = (b7 << 5) | (b8 >> 3);
  prm[9] = ((b8 & 0x07) << 1) | (b9 >> 7);
  prm[10] = b9 & 0x7f;
}

/** Split a 2-octet SID frame into its 4 parameters. */
export function unpackSidFrame(frame: Uint8Array, prm: Int16Array): void {
  unpack(frame, SID_BITS, prm);
}

/**
 * Parse an ITU-T serial bitstream (16-bit little-endian words: sync 0x6B21, bit count,
 * then one word per bit, 0x0081 = 1, 0x007F = 0). Returns one entry per frame: a 10-byte
 * speech frame, a 2-byte SID frame (16 bits), an empty array for an untransmitted frame
 * (count 0), or null for an erased frame (a zero bit word, or a bad sync word on an
 * untransmitted frame — the reference decoders' rule). A truncated last frame is dropped.
 */
export function parseItuSerial(data: Uint8Array): Array<Uint8Array | null> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const words = data.byteLength >> 1;
  const frames: Array<Uint8Array | null> = [];
  let w = 0;
  while (w + 2 <= words) {
    const sync = view.getUint16(2 * w, true);
    const count = view.getUint16(2 * w + 2, true);
    w += 2;
    if (w + count > words) break;
    let erased = false;
    if (count !== 0) {
      for (let i = 0; i < count; i++) if (view.getUint16(2 * (w + i), true) === 0) erased = true;
    } else if (sync !== SYNC_WORD) erased = true;
    if (erased) frames.push(null);
    else if (count === 80 || count === 16 || count === 15) {
      const bytes = new Uint8Array(count === 80 ? SPEECH_FRAME_BYTES : SID_FRAME_BYTES);
      for (let i = 0; i < count; i++) {
        if (view.getUint16(2 * (w + i), true) === BIT_1) bytes[i >> 3]! |= 0x80 >> (i & 7);
      }
      frames.push(bytes);
    } else frames.push(new Uint8Array(0)); // any other count carries no frame (as the reference reads it)
    w += count;
  }
  return frames;
}
