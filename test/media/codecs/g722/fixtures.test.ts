/**
 * Sample-exact comparison with ffmpeg's adpcm_g722 (which matches the ITU-T
 * reference codec) on the committed fixtures of fixtures/g722/make.sh. These
 * tests read files only; ffmpeg is not needed to run them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder, decodeG722, encodeG722 } from '../../../../src/media/codecs/g722/index.js';
import { countDifferences, int16FromBuffer } from '../../../helpers/tools.js';

const FIXTURES = join(import.meta.dirname, '../../../../fixtures/g722');
const INPUTS = ['speech', 'music', 'sweep', 'square', 'silence', 'dc', 'noise'] as const;
/** Inputs whose bitstream ffmpeg also decoded with -bits_per_codeword 7 and 6. */
const MODE_INPUTS = ['music', 'square'] as const;

function fixture(name: string): Uint8Array {
  const path = join(FIXTURES, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run fixtures/g722/make.sh`);
  return new Uint8Array(readFileSync(path));
}

function report(what: string, compared: number, differing: number, unit = 'samples'): void {
  process.stdout.write(`g722 ${what}: ${compared} ${unit} compared, ${differing} differing\n`);
}

describe('G.722 decoder against ffmpeg (64 kbit/s)', () => {
  for (const input of INPUTS) {
    it(`${input}: every sample equals ffmpeg's decoding`, () => {
      const bitstream = fixture(`${input}.g722`);
      const expected = int16FromBuffer(fixture(`${input}.pcm`));
      const ours = decodeG722(bitstream);
      expect(ours.length).toBe(bitstream.length * 2);
      const { compared, differing, first } = countDifferences(ours, expected);
      report(`decode ${input}`, compared, differing);
      expect({ differing, first }).toEqual({ differing: 0, first: -1 });
      expect(compared).toBeGreaterThanOrEqual(4000);
    });
  }
});

describe('G.722 decoder against ffmpeg -bits_per_codeword 7 / 6 (56 and 48 kbit/s)', () => {
  for (const input of MODE_INPUTS) {
    for (const mode of [56, 48] as const) {
      it(`${input} at ${mode} kbit/s: every sample equals ffmpeg's decoding`, () => {
        const ours = decodeG722(fixture(`${input}.g722`), mode);
        const { compared, differing, first } = countDifferences(ours, int16FromBuffer(fixture(`${input}.${mode}.pcm`)));
        report(`decode ${input} @${mode}`, compared, differing);
        expect({ differing, first }).toEqual({ differing: 0, first: -1 });
        expect(compared).toBe(8000);
      });
    }
  }
});

describe('G.722 encoder against ffmpeg', () => {
  for (const input of INPUTS) {
    it(`${input}: every octet equals ffmpeg's encoding`, () => {
      const pcm = int16FromBuffer(fixture(`${input}.raw`));
      const expected = fixture(`${input}.g722`);
      const ours = encodeG722(pcm);
      const { compared, differing, first } = countDifferences(ours, expected);
      report(`encode ${input}`, compared, differing, 'octets');
      expect({ differing, first }).toEqual({ differing: 0, first: -1 });
      expect(compared).toBe(pcm.length / 2);
    });
  }
});

describe('G.722 streaming over packets equals the whole-buffer result', () => {
  it('decoding speech in 20 ms packets into one reused buffer matches ffmpeg', () => {
    const bitstream = fixture('speech.g722');
    const expected = int16FromBuffer(fixture('speech.pcm'));
    const decoder = new G722Decoder();
    const packetOut = new Int16Array(320);
    const joined = new Int16Array(bitstream.length * 2);
    for (let at = 0; at < bitstream.length; at += 160) {
      const packet = bitstream.subarray(at, at + 160);
      const decoded = decoder.decode(packet, packetOut);
      expect(decoded.buffer).toBe(packetOut.buffer); // written into the caller's buffer, nothing allocated
      joined.set(decoded, at * 2);
    }
    expect(countDifferences(joined, expected).differing).toBe(0);
  });

  it('encoding sweep in odd-sized chunks matches ffmpeg', () => {
    const pcm = int16FromBuffer(fixture('sweep.raw'));
    const expected = fixture('sweep.g722');
    const encoder = new G722Encoder();
    const parts: Uint8Array[] = [];
    const sizes = [1, 2, 3, 157, 320, 161, 999];
    for (let at = 0, k = 0; at < pcm.length; k++) {
      const size = sizes[k % sizes.length]!;
      parts.push(encoder.encode(pcm.subarray(at, at + size)).slice());
      at += size;
    }
    parts.push(encoder.flush());
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    expect(countDifferences(joined, expected)).toEqual({ compared: expected.length, differing: 0, first: -1 });
  });
});
