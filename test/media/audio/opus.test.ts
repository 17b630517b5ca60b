import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { OggFormatError, OggOpusDecoder, OggPacketReader, OggStreamWriter, OpusFileWriter, OpusFormatError, opusPreSkip } from '../../../src/media/audio/index.js';
import { toneSignal } from '../../../src/embedded/index.js';
import { int16FromBuffer, requireTool } from '../../helpers/tools.js';

const work = mkdtempSync(join(tmpdir(), 'recorder-opus-'));
/**
 * ffmpeg decoding through libopus, the reference implementation (browsers decode with it too). ffmpeg's own Opus
 * decoder gets the second of two uncoupled streams wrong (measured: correlation 0.37 where libopus and opusdec
 * give 0.95 on the same file).
 */
const LIBOPUS = ['-c:a', 'libopus'];
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Two parties: a louder tone pair left, a quieter one right, with pauses, as a call's channels. */
function callSignal(frames: number, rate: number): Int16Array {
  const left = toneSignal(frames, rate, 440, 1100, 9000);
  const right = toneSignal(frames, rate, 620, 1500, 4000);
  const out = new Int16Array(2 * frames);
  for (let i = 0; i < frames; i++) {
    const talking = Math.floor(i / rate) % 3 !== 2; // a second of silence every three on the right
    out[2 * i] = left[i]!;
    out[2 * i + 1] = talking ? right[i]! : 0;
  }
  return out;
}

function channel(interleaved: Int16Array, c: number, channels = 2): Int16Array {
  return interleaved.filter((_, i) => i % channels === c);
}

/** Normalised cross-correlation of `a` against `b` shifted by `lag` (b[i + lag]), over the middle of the signal. */
function correlation(a: Int16Array, b: Int16Array, lag: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  const from = Math.max(0, -lag) + 2000;
  const to = Math.min(a.length, b.length - lag) - 2000;
  for (let i = from; i < to; i++) {
    ab += a[i]! * b[i + lag]!;
    aa += a[i]! * a[i]!;
    bb += b[i + lag]! * b[i + lag]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The lag in −range…range where `decoded` matches `original` best. */
function bestLag(original: Int16Array, decoded: Int16Array, range = 20): { lag: number; r: number } {
  let best = { lag: 0, r: -2 };
  for (let lag = -range; lag <= range; lag++) {
    const r = correlation(original, decoded, lag);
    if (r > best.r) best = { lag, r };
  }
  return best;
}

function write(path: string, rate: number, channels: 1 | 2, samples: Int16Array, kbps = 16): number {
  const writer = new OpusFileWriter(path, { sampleRate: rate, channels, kbps }, { title: 'a call', artist: '201 / +390612345678', recordedAt: '2026-12-04T08:13:00', custom: { 'call id': 'abc123', direction: 'incoming' } }, { durable: false });
  // Pieces of odd sizes: the writer gathers whole 20 ms frames itself.
  for (let i = 0; i < samples.length; i += channels * 1234) writer.write(samples.subarray(i, Math.min(samples.length, i + channels * 1234)));
  return writer.finish().frames;
}

function ourDecode(path: string): { rate: number; channels: number; samples: Int16Array } {
  const decoder = new OggOpusDecoder(path);
  const blocks = [];
  const bytes = readFileSync(path);
  for (let i = 0; i < bytes.length; i += 777) blocks.push(...decoder.push(bytes.subarray(i, i + 777)));
  decoder.end();
  const total = blocks.reduce((n, b) => n + b.samples.length, 0);
  const samples = new Int16Array(total);
  let at = 0;
  for (const block of blocks) {
    samples.set(block.samples, at);
    at += block.samples.length;
  }
  return { rate: blocks[0]!.sampleRate, channels: blocks[0]!.channels, samples };
}

describe('Ogg Opus writer (libopus in WebAssembly, our Ogg pages)', () => {
  for (const [rate, seconds] of [[8000, 12.37], [16000, 5.01]] as const) {
    it(`${rate / 1000} kHz stereo, a mono stream a party: opusinfo finds a valid stream; libopus decodes exactly the frames written, each party aligned with what it said`, () => {
      requireTool('ffmpeg');
      requireTool('opusinfo');
      const frames = Math.round(rate * seconds);
      const input = callSignal(frames, rate);
      const path = join(work, `call-${rate}.opus`);
      expect(write(path, rate, 2, input)).toBe(frames);

      // opus-tools' own checker: pages, CRCs, granule positions, pre-skip, no warnings.
      const info = execFileSync('opusinfo', [path], { encoding: 'utf8' });
      expect(info).toMatch(/Pre-skip: 312/);
      expect(info).toMatch(new RegExp(`Original sample rate: ${rate} Hz`));
      expect(info).toMatch(/Channels: 2/);
      expect(info).not.toMatch(/WARNING|ERROR|hole in data/i);

      // ffmpeg decodes at 48 kHz: pre-skip dropped and the end trimmed by the last granule position.
      const at48 = int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', ...LIBOPUS, '-i', path, '-f', 's16le', '-ar', '48000', 'pipe:1'], { maxBuffer: 1 << 28 }));
      expect(at48.length / 2).toBe(frames * (48000 / rate));
      // Back at the call's rate, each channel lines up with what went in (no delay) and sounds like it.
      const atRate = int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', ...LIBOPUS, '-i', path, '-f', 's16le', '-ar', String(rate), 'pipe:1'], { maxBuffer: 1 << 28 }));
      for (const c of [0, 1]) {
        const match = bestLag(channel(input, c), channel(atRate, c));
        expect(Math.abs(match.lag), `channel ${c}`).toBeLessThanOrEqual(1);
        expect(match.r, `channel ${c}`).toBeGreaterThan(0.8);
      }
      // Our own decoder (the player's waveform) agrees on length and alignment.
      const ours = ourDecode(path);
      expect({ rate: ours.rate, channels: ours.channels, frames: ours.samples.length / 2 }).toEqual({ rate, channels: 2, frames });
      for (const c of [0, 1]) expect(Math.abs(bestLag(channel(input, c), channel(ours.samples, c)).lag), `channel ${c}`).toBeLessThanOrEqual(1);

      // The tags as players read them.
      const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { encoding: 'utf8' })) as { streams: Array<{ codec_name: string; tags?: Record<string, string> }> };
      expect(probe.streams[0]!.codec_name).toBe('opus');
      expect(probe.streams[0]!.tags).toMatchObject({ TITLE: 'a call', ARTIST: '201 / +390612345678', DATE: '2026-12-04T08:13:00', CALLID: 'abc123', DIRECTION: 'incoming' });
    });
  }

  it('8 kHz mono; silence; a recording shorter than one frame; the size at 16 kbit/s', () => {
    requireTool('ffmpeg');
    const rate = 8000;
    const frames = rate * 60;
    const mono = toneSignal(frames, rate, 300, 900, 8000);
    const path = join(work, 'mono.opus');
    write(path, rate, 1, mono);
    const decoded = int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', ...LIBOPUS, '-i', path, '-f', 's16le', '-ar', '48000', 'pipe:1'], { maxBuffer: 1 << 28 }));
    expect(decoded.length).toBe(frames * 6);
    // At most 16 kbit/s (Opus varies its rate below the target) plus the container: at most ~125 kB a minute (32 kbit/s MP3: 240 kB).
    expect(statSync(path).size).toBeGreaterThan(60_000);
    expect(statSync(path).size).toBeLessThan(135_000);

    for (const [name, samples] of [['short', new Int16Array(37 * 2).fill(1000)], ['silent', new Int16Array(8000 * 2)]] as const) {
      const file = join(work, `${name}.opus`);
      write(file, rate, 2, samples);
      const out = int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', ...LIBOPUS, '-i', file, '-f', 's16le', '-ar', '48000', 'pipe:1'], { maxBuffer: 1 << 28 }));
      expect(out.length / 2, name).toBe((samples.length / 2) * 6);
      expect(ourDecode(file).samples.length, name).toBe(samples.length);
    }
  });

  it('refuses a rate Opus does not code, and leaves no file behind when aborted', () => {
    expect(() => new OpusFileWriter(join(work, 'x.opus'), { sampleRate: 11025, channels: 1, kbps: 16 })).toThrow(OpusFormatError);
    const path = join(work, 'aborted.opus');
    const writer = new OpusFileWriter(path, { sampleRate: 8000, channels: 2, kbps: 16 }, {}, { durable: false });
    writer.write(new Int16Array(16000));
    writer.abort();
    expect(() => statSync(path)).toThrow();
  });

  it('pre-skip is the encoder look-ahead (6.5 ms) at 48 kHz', () => {
    expect(opusPreSkip()).toBe(312);
  });
});

describe('Ogg pages', () => {
  it('packets over many pages come back as written; a flipped byte fails the CRC; a cut page and a gap are named', () => {
    const pages: Uint8Array[] = [];
    const writer = new OggStreamWriter(0x1234, (page) => pages.push(page), 7);
    const packets = Array.from({ length: 40 }, (_, i) => new Uint8Array(i * 23 + (i % 5 === 0 ? 255 * 2 : 1)).fill(i));
    writer.header(new Uint8Array([1, 2, 3]));
    packets.forEach((packet, i) => writer.packet(packet, BigInt(i + 1)));
    writer.finish(40n);
    const stream = Buffer.concat(pages);
    const reader = new OggPacketReader('test stream');
    const read = [...reader.push(stream.subarray(0, 100)), ...reader.push(stream.subarray(100))];
    reader.end();
    expect(read.map((p) => Buffer.from(p.data).toString('hex'))).toEqual([new Uint8Array([1, 2, 3]), ...packets].map((p) => Buffer.from(p).toString('hex')));
    expect(read.at(-1)).toMatchObject({ granule: 40n, lastPage: true });

    const flipped = Buffer.from(stream);
    flipped[pages[0]!.length + 40]! ^= 0x10;
    expect(() => new OggPacketReader('damaged.opus').push(flipped)).toThrow(/damaged\.opus: the page at byte \d+ fails its CRC/);
    const cut = new OggPacketReader('cut.opus');
    cut.push(stream.subarray(0, stream.length - 10));
    expect(() => cut.end()).toThrow(OggFormatError);
    const gap = Buffer.concat([pages[0]!, ...pages.slice(2)]);
    expect(() => new OggPacketReader('gap.opus').push(gap)).toThrow(/gap\.opus: page 1 missing/);
  });

  it('ffmpeg reads a file of our pages holding a packet that needs several lacing values', () => {
    requireTool('ffmpeg');
    const path = join(work, 'loud.opus');
    // Noise at 64 kbit/s: packets over 255 bytes, several lacing values each.
    const frames = 8000 * 3;
    const noise = new Int16Array(frames * 2);
    let seed = 7;
    for (let i = 0; i < noise.length; i++) noise[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) - 32768;
    write(path, 8000, 2, noise, 64);
    writeFileSync(join(work, 'loud.copy'), readFileSync(path));
    const decoded = int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', ...LIBOPUS, '-i', path, '-f', 's16le', '-ar', '48000', 'pipe:1'], { maxBuffer: 1 << 28 }));
    expect(decoded.length / 2).toBe(frames * 6);
  });
});
