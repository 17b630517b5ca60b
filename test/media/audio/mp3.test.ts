import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mp3FileWriter, prepareLameWasm } from '../../../src/media/audio/index.js';
import { MP3_ENCODERS } from '../../../src/domain/index.js';
import { toneSignal } from '../../../src/embedded/index.js';
import { int16FromBuffer, requireTool } from '../../helpers/tools.js';

const work = mkdtempSync(join(tmpdir(), 'recorder-mp3-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function rms(samples: ArrayLike<number>, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / (to - from));
}

function decode(path: string, channels: number): Int16Array {
  requireTool('ffmpeg');
  return int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', '-i', path, '-f', 's16le', '-ac', String(channels), 'pipe:1'], { maxBuffer: 1 << 28 }));
}

beforeAll(() => prepareLameWasm());

describe.each(MP3_ENCODERS)('MP3 writer (%s) with Info/LAME frame and ID3 tags', (encoder) => {
  for (const [rate, seconds] of [[8000, 60], [16000, 7]] as const) {
    it(`${rate} Hz stereo: ffmpeg decodes exactly the samples written, left loud, right silent; size per minute`, () => {
      const frames = rate * seconds;
      const left = toneSignal(frames, rate, 440, 1000, 8000);
      const interleaved = new Int16Array(2 * frames);
      for (let i = 0; i < frames; i++) interleaved[2 * i] = left[i]!;
      const path = join(work, `tone-${rate}-${encoder}.mp3`);
      const writer = new Mp3FileWriter(path, { sampleRate: rate, channels: 2, kbps: 32, encoder }, { title: 'test', custom: { 'call id': 'abc' } }, { durable: false });
      for (let i = 0; i < interleaved.length; i += 2 * 4000) writer.write(interleaved.subarray(i, Math.min(interleaved.length, i + 2 * 4000)));
      const { bytes } = writer.finish();
      const decoded = decode(path, 2);
      expect(decoded.length / 2).toBe(frames);
      const l = decoded.filter((_, i) => i % 2 === 0);
      const r = decoded.filter((_, i) => i % 2 === 1);
      const levelDb = 20 * Math.log10(rms(l, rate, frames - rate) / rms(left, rate, frames - rate));
      const rightDb = 20 * Math.log10((rms(r) + 1e-9) / rms(left));
      console.log(`MP3 (${encoder}) ${rate} Hz: ${frames} samples back exactly, left level ${levelDb.toFixed(2)} dB vs input, right ${rightDb.toFixed(1)} dB, ${Math.round((bytes / seconds) * 60 / 1000)} kB per minute`);
      expect(Math.abs(levelDb)).toBeLessThan(1);
      expect(rightDb).toBeLessThan(-40);
      expect(statSync(path).size).toBe(bytes);
      if (rate === 8000) {
        // The reference sizes MP3 at about 250 kB per minute.
        expect(bytes / 1000).toBeGreaterThan(200);
        expect(bytes / 1000).toBeLessThan(260);
      }
    });
  }

  it('ID3 tags are what ffprobe reads', () => {
    const path = join(work, `tags-${encoder}.mp3`);
    const writer = new Mp3FileWriter(path, { sampleRate: 8000, channels: 1, kbps: 16, encoder }, { title: 'Call 201 ← 0049401234', artist: 'Support 201 / +49 40 1234', recordedAt: '2024-06-10T06:13:20', custom: { 'call id': 'a84b@x', direction: 'incoming' } }, { durable: false });
    writer.write(toneSignal(8000, 8000, 300, 900));
    writer.finish();
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags:stream=channels,sample_rate', '-of', 'json', path], { encoding: 'utf8' })) as { format: { tags: Record<string, string> }; streams: Array<{ channels: number; sample_rate: string }> };
    expect(probe.format.tags).toMatchObject({ title: 'Call 201 ← 0049401234', artist: 'Support 201 / +49 40 1234', date: '2024-06-10T06:13:20', 'call id': 'a84b@x', direction: 'incoming' });
    expect(probe.streams[0]).toMatchObject({ channels: 1, sample_rate: '8000' });
    expect(decode(path, 1).length).toBe(8000);
  });
});
