// recorder convert --format opus on every path: one file and a tree, 1 and 2 workers, encrypted, G.722 calls at
// 16 kHz; each recording decodes (libopus) to exactly the frames of the WAV conversion of the same capture; the
// bit rate is checked per format.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { decryptFile, generateKeyFile, readKeyring } from '../../../src/platform/crypto/index.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { convertStore } from '../../../src/recorder/convert/index.js';
import { decryptBytes } from '../../../src/platform/crypto/index.js';
import { writeFileSync } from 'node:fs';
import { makeFixture } from '../../player/helpers.js';
import { requireTool } from '../../helpers/tools.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/calls');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'convert-opus-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Frames libopus gives back at 48 kHz, and the channels. */
function libopusFrames(path: string): { frames48k: number; channels: number; rate: number } {
  requireTool('ffmpeg');
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], { encoding: 'utf8' })) as { streams: Array<{ channels: number; codec_name: string }> };
  const bytes = execFileSync('ffmpeg', ['-loglevel', 'error', '-c:a', 'libopus', '-i', path, '-f', 's16le', '-ar', '48000', 'pipe:1'], { maxBuffer: 1 << 28 }).length;
  const info = execFileSync('opusinfo', [path], { encoding: 'utf8' });
  expect(info).not.toMatch(/WARNING|ERROR/);
  return { frames48k: bytes / 2 / probe.streams[0]!.channels, channels: probe.streams[0]!.channels, rate: Number(/Original sample rate: (\d+)/.exec(info)?.[1]) };
}

/** Frames of the WAV conversion of the same capture (the reference length). */
async function wavFrames(capture: string, mix: 'stereo' | 'mono' = 'stereo'): Promise<{ frames: number; rate: number }> {
  const report = await convertCapture(capture, { outDir: join(dir, 'wav', capture.replace(/\W+/g, '_')), durable: false, mix });
  expect(report.ok, report.error).toBe(true);
  const output = report.outputs[0]!;
  return { frames: Math.round(output.durationSeconds * output.sampleRate), rate: output.sampleRate };
}

describe('recorder convert --format opus', () => {
  for (const [fixture, mix] of [['alaw-20ms.pcap', 'stereo'], ['g722-g711.pcap', 'stereo'], ['sip-call.pcap', 'mono']] as const) {
    it(`${fixture} (${mix}): exactly the frames of its WAV conversion, at its rate`, async () => {
      requireTool('opusinfo');
      const capture = join(FIXTURES, fixture);
      const reference = await wavFrames(capture, mix);
      const report = await convertCapture(capture, { outDir: join(dir, 'opus', fixture), format: 'opus', mix, durable: false });
      expect(report.ok, report.error).toBe(true);
      const output = report.outputs[0]!;
      expect(output.path.endsWith('.opus')).toBe(true);
      const decoded = libopusFrames(output.path);
      expect(decoded).toEqual({ frames48k: reference.frames * (48000 / reference.rate), channels: mix === 'stereo' ? 2 : 1, rate: reference.rate });
    });
  }

  it('the CLI: a tree with 2 workers and a single file, encrypted; --bitrate per format; usage errors exit 2', async () => {
    requireTool('opusinfo');
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'a'), { recursive: true });
    mkdirSync(join(tree, 'b'), { recursive: true });
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(tree, 'a', 'call.pcap'));
    copyFileSync(join(FIXTURES, 'g722.pcap'), join(tree, 'b', 'call.pcap'));
    const out = join(dir, 'tree-out');
    const run = await runInProcess(['convert', tree, '-o', out, '--format', 'opus', '--bitrate', '24', '--workers', '2', '--no-progress', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect((readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.opus')).sort()).toEqual(['a/call.opus', 'b/call.opus']);
    for (const file of ['a/call.opus', 'b/call.opus']) expect(libopusFrames(join(out, file)).channels).toBe(2);
    // 24 kbit/s asked: the file's average rate is at most that (Opus varies its rate below the target).
    const info = execFileSync('opusinfo', [join(out, 'a/call.opus')], { encoding: 'utf8' });
    expect(Number(/Average bitrate: ([\d.]+) kbit\/s, w\/o overhead/.exec(info)?.[1])).toBeLessThanOrEqual(26);

    const key = join(dir, 'system.key');
    await generateKeyFile(key);
    const single = join(dir, 'single-out');
    const sealed = await runInProcess(['convert', join(tree, 'a', 'call.pcap'), '-o', single, '--format', 'opus', '--key', key, '--encrypt', '--no-progress']);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(readdirSync(single)).toEqual(['call.opus.enc']);
    expect(readFileSync(join(single, 'call.opus.enc')).subarray(0, 4).toString('latin1')).not.toBe('OggS');
    await decryptFile(join(single, 'call.opus.enc'), join(single, 'call.opus'), await readKeyring([key]));
    expect(libopusFrames(join(single, 'call.opus')).channels).toBe(2);

    for (const [args, message] of [
      [['--format', 'opus', '--bitrate', '32', '--bitrate', '17'], /--bitrate 17: Opus takes 12, 16, 20, 24, 32, 48, 64 kbit\/s/],
      [['--format', 'mp3', '--bitrate', '12'], /--bitrate 12: MP3 takes 16, 24/],
      [['--format', 'wav', '--bitrate', '16'], /--bitrate applies to MP3 and Opus/],
      [['--format', 'opus', '--encoding', 'alaw'], /--encoding applies to WAV only; Opus has no sample encoding/],
      [['--format', 'ogg'], /format/],
    ] as const) {
      const refused = await runInProcess(['convert', join(tree, 'a', 'call.pcap'), '-o', join(dir, 'refused'), ...args]);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('recorder convert --store turns a kept capture into Opus in place: sidecar, signature and index follow', async () => {
    requireTool('opusinfo');
    const fixture = await makeFixture({ encrypted: true });
    try {
      const kept = await fixture.file({ callId: 'kept-opus', start: new Date(Date.UTC(2026, 11, 4, 9)), internal: '201', external: '0301234567', seconds: 7, format: 'pcap' });
      const summary = await convertStore({ recordings: fixture.recordings, format: 'opus', mix: 'stereo', encoding: 'pcm16', kbps: 16, workDir: join(dir, 'store-work'), encryption: { keyFiles: [], keyring: fixture.keyring! } });
      expect(summary).toMatchObject({ found: 1, converted: 1, failed: 0 });
      const stored = await fixture.recordings.files(kept.name);
      expect(stored.format).toBe('opus');
      expect(fixture.recordings.row(kept.name)).toMatchObject({ format: 'opus' });
      expect(await fixture.recordings.verify(stored)).toBe('intact');
      const plain = join(dir, 'kept.opus');
      writeFileSync(plain, decryptBytes(readFileSync(stored.audioPath), fixture.keyring!));
      const decoded = libopusFrames(plain);
      expect(decoded).toMatchObject({ channels: 2, rate: 8000 });
      expect(Math.abs(decoded.frames48k - 7 * 48000)).toBeLessThanOrEqual(48 * 20); // the 7 s call, to a packet
      // A second run finds nothing to do.
      expect(await convertStore({ recordings: fixture.recordings, format: 'opus', mix: 'stereo', encoding: 'pcm16', kbps: 16, workDir: join(dir, 'store-work') })).toMatchObject({ found: 0, converted: 0 });
    } finally {
      await fixture.cleanup();
    }
  });
});
