// The player's MP3 waveform is decoded in the process (no ffmpeg at run time): checked against the waveform of the
// same MP3 decoded by ffmpeg (Debian's), bucket by bucket, and a file that is no MP3 gets a clear 422.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openByteSource, playable } from '../../src/player/audio-source.js';
import { WaveformCache } from '../../src/player/waveform.js';
import type { RecordingFormat } from '../../src/domain/index.js';
import { requireTool } from '../helpers/tools.js';
import { OpusFileWriter } from '../../src/media/audio/index.js';

const dir = mkdtempSync(join(tmpdir(), 'waveform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waveformOf(path: string, format: RecordingFormat, cacheName: string) {
  const cache = new WaveformCache(join(dir, cacheName));
  const source = await openByteSource(path, false, undefined);
  return cache.get(path, source.size, format, () => playable(source, format));
}

describe('MP3 waveform decoded in the process', () => {
  it('agrees with ffmpeg’s decoding of the same MP3, bucket by bucket (8 kHz stereo, a call’s MPEG-2.5)', async () => {
    requireTool('ffmpeg');
    const mp3 = join(dir, 'call.mp3');
    // Left: a tone that swells; right: silence, then a louder tone — the two parties of a call.
    execFileSync('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'sine=f=440:d=6:sample_rate=8000,volume=eval=frame:volume=t/6',
      '-f', 'lavfi', '-i', 'sine=f=900:d=6:sample_rate=8000,volume=eval=frame:volume=gte(t\\,3)*0.8',
      '-filter_complex', '[0][1]amerge=inputs=2', '-ar', '8000', '-c:a', 'libmp3lame', '-b:a', '32k', mp3,
    ]);
    const wav = join(dir, 'call-by-ffmpeg.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', mp3, '-c:a', 'pcm_s16le', wav]);
    const ours = await waveformOf(mp3, 'mp3', 'ours');
    const theirs = await waveformOf(wav, 'wav', 'theirs');
    expect(ours).toMatchObject({ channels: 2, sampleRate: 8000, durationMs: theirs.durationMs, buckets: theirs.buckets });
    let worst = 0;
    for (let c = 0; c < 2; c++) {
      for (let b = 0; b < ours.buckets; b++) {
        worst = Math.max(worst, Math.abs(ours.min[c]![b]! - theirs.min[c]![b]!), Math.abs(ours.max[c]![b]! - theirs.max[c]![b]!));
      }
    }
    console.log(`MP3 waveform: ${ours.buckets} buckets × 2 channels, largest difference from ffmpeg's ${worst} of 127`);
    expect(worst).toBeLessThanOrEqual(1);
    // What it shows: the right party silent for the first half, then louder than the left.
    expect(Math.max(...ours.max[1]!.slice(0, Math.floor(ours.buckets / 2) - 5))).toBe(0);
    expect(ours.max[1]![ours.buckets - 10]!).toBeGreaterThan(10); // lavfi's sine is at 1/8 of full scale
  });

  it('Opus: agrees with libopus’s decoding (ffmpeg) of the same file, bucket by bucket', async () => {
    requireTool('ffmpeg');
    const rate = 8000;
    const frames = rate * 6;
    const pcm = new Int16Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      const t = i / rate;
      pcm[2 * i] = Math.round(6000 * (t / 6) * Math.sin(2 * Math.PI * 440 * t));
      pcm[2 * i + 1] = t >= 3 ? Math.round(9000 * Math.sin(2 * Math.PI * 900 * t)) : 0;
    }
    const opus = join(dir, 'call.opus');
    const writer = new OpusFileWriter(opus, { sampleRate: rate, channels: 2, kbps: 16 }, {}, { durable: false });
    writer.write(pcm);
    writer.finish();
    const wav = join(dir, 'opus-by-ffmpeg.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-c:a', 'libopus', '-i', opus, '-ar', String(rate), '-c:a', 'pcm_s16le', wav]);
    const ours = await waveformOf(opus, 'opus', 'ours-opus');
    const theirs = await waveformOf(wav, 'wav', 'theirs-opus');
    expect(ours).toMatchObject({ channels: 2, sampleRate: rate, durationMs: theirs.durationMs, buckets: theirs.buckets });
    let worst = 0;
    for (let c = 0; c < 2; c++) {
      for (let b = 0; b < ours.buckets; b++) {
        worst = Math.max(worst, Math.abs(ours.min[c]![b]! - theirs.min[c]![b]!), Math.abs(ours.max[c]![b]! - theirs.max[c]![b]!));
      }
    }
    console.log(`Opus waveform: ${ours.buckets} buckets × 2 channels, largest difference from libopus via ffmpeg ${worst} of 127`);
    // ffmpeg decodes at 48 kHz and resamples; ours decodes at 8 kHz: a level or two apart at most.
    expect(worst).toBeLessThanOrEqual(2);
    expect(Math.max(...ours.max[1]!.slice(0, Math.floor(ours.buckets / 2) - 5))).toBeLessThanOrEqual(1);
    expect(ours.max[1]![ours.buckets - 10]!).toBeGreaterThan(20);
  });

  it('a file that is no Opus: 422 naming the reason', async () => {
    const junk = join(dir, 'junk.opus');
    writeFileSync(junk, Buffer.alloc(20_000, 0x55));
    await expect(waveformOf(junk, 'opus', 'junk-opus')).rejects.toMatchObject({ status: 422, message: expect.stringContaining('could not be decoded') });
  });

  it('a file that is no MP3: 422 naming the reason', async () => {
    const junk = join(dir, 'junk.mp3');
    writeFileSync(junk, Buffer.alloc(20_000, 0x55));
    await expect(waveformOf(junk, 'mp3', 'junk')).rejects.toMatchObject({ status: 422, message: expect.stringContaining('could not be decoded') });
  });
});
