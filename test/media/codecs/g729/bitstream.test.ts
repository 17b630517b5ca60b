/** Frame unpacking, the ITU serial format and RTP payload splitting. */
import { describe, expect, it } from 'vitest';
import {
  G729Decoder, decodeG729Payload, decodeItuSerial, parseItuSerial, unpackSidFrame, unpackSpeechFrame,
} from '../../../../src/media/codecs/g729/index.js';

const SYNC = 0x6b21;

/** Serial frame: sync word, bit count, one word per bit (0x0081 / 0x007F), or given raw words. */
function serialFrame(bits: number[] | null, count: number, sync = SYNC): number[] {
  const words = [sync, count];
  if (bits === null) for (let i = 0; i < count; i++) words.push(0);
  else for (const b of bits) words.push(b ? 0x0081 : 0x007f);
  return words;
}

function bitsOf(bytes: number[], count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  return out;
}

function toBytes(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 2);
  words.forEach((w, i) => {
    b[2 * i] = w & 0xff;
    b[2 * i + 1] = w >> 8;
  });
  return b;
}

describe('G.729 bitstream', () => {
  it('unpacks a speech frame most significant bit first in the bit allocation order', () => {
    // Parameters chosen so each field has a distinctive pattern.
    const fields: Array<[number, number]> = [
      [0b10110011, 8], [0b1100110101, 10], [0b01011010, 8], [1, 1], [0b1010101010101, 13], [0b1001, 4],
      [0b0110011, 7], [0b10101, 5], [0b0001110001110, 13], [0b0110, 4], [0b1111000, 7],
    ];
    const bits: number[] = [];
    for (const [v, n] of fields) for (let i = n - 1; i >= 0; i--) bits.push((v >> i) & 1);
    expect(bits.length).toBe(80);
    const frame = new Uint8Array(10);
    bits.forEach((b, i) => {
      if (b) frame[i >> 3]! |= 0x80 >> (i & 7);
    });
    const prm = new Int32Array(11);
    unpackSpeechFrame(frame, prm);
    expect(Array.from(prm)).toEqual(fields.map(([v]) => v));
  });

  it('unpacks a SID frame (1 + 5 + 4 + 5 bits, one pad bit)', () => {
    const sid = new Int16Array(4);
    unpackSidFrame(Uint8Array.of(0b1_10011_01, 0b10_11010_0), sid);
    expect(Array.from(sid)).toEqual([1, 0b10011, 0b0110, 0b11010]);
  });

  it('parses speech, SID, untransmitted and erased serial frames', () => {
    const speech = [0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab];
    const sid = [0xa5, 0x5a];
    const words = [
      ...serialFrame(bitsOf(speech, 80), 80),
      ...serialFrame(bitsOf(sid, 16), 16),
      ...serialFrame([], 0),
      ...serialFrame(null, 80), // all-zero bit words: erased
      ...serialFrame([], 0, 0x6b20), // untransmitted with a bad sync word: erased
      SYNC, 80, 0x81, // truncated frame: dropped
    ];
    const frames = parseItuSerial(toBytes(words));
    expect(frames.length).toBe(5);
    expect(Array.from(frames[0]!)).toEqual(speech);
    expect(Array.from(frames[1]!)).toEqual(sid);
    expect(frames[2]!.length).toBe(0);
    expect(frames[3]).toBeNull();
    expect(frames[4]).toBeNull();
  });

  it('decodeItuSerial gives 80 samples per frame, the same as frame-by-frame decoding', () => {
    const speech = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22];
    const words = [...serialFrame(bitsOf(speech, 80), 80), ...serialFrame(bitsOf([0x40, 0x80], 16), 16), ...serialFrame([], 0)];
    const out = decodeItuSerial(toBytes(words), 'g729a');
    expect(out.length).toBe(240);
    const d = new G729Decoder({ variant: 'g729a' });
    const ref = new Int16Array(240);
    d.decodeFrame(Uint8Array.from(speech), ref, 0);
    d.decodeFrame(Uint8Array.of(0x40, 0x80), ref, 80);
    d.decodeFrame(new Uint8Array(0), ref, 160);
    expect(Array.from(out)).toEqual(Array.from(ref));
  });

  it('decodeG729Payload splits n speech frames plus an optional trailing SID frame', () => {
    const payload = new Uint8Array(32);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 37 + 11) & 0xff;
    const out = decodeG729Payload(payload, new G729Decoder());
    expect(out.length).toBe(4 * 80);
    const d = new G729Decoder();
    const ref = new Int16Array(4 * 80);
    for (let f = 0; f < 3; f++) d.decodeFrame(payload.subarray(f * 10, f * 10 + 10), ref, f * 80);
    d.decodeFrame(payload.subarray(30), ref, 240);
    expect(Array.from(out)).toEqual(Array.from(ref));
    // 20 bytes: two speech frames, no SID.
    expect(decodeG729Payload(payload.subarray(0, 20), new G729Decoder()).length).toBe(160);
  });
});
