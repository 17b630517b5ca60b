import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { captureFrames, defaultDirectory, planCalls } from '../../../src/embedded/index.js';
import { LinkType, writePcap } from '../../../src/media/pcap/index.js';
import { int16FromBuffer, requireTool } from '../../helpers/tools.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/calls');
const work = mkdtempSync(join(tmpdir(), 'recorder-mixes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function wavSamples(path: string): Int16Array {
  const bytes = readFileSync(path);
  return int16FromBuffer(bytes.subarray(44));
}

function ffmpegDecode(path: string): { samples: Int16Array; channels: number; rate: number } {
  requireTool('ffmpeg');
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=channels,sample_rate', '-of', 'json', path], { encoding: 'utf8' })) as { streams: Array<{ channels: number; sample_rate: string }> };
  const samples = int16FromBuffer(execFileSync('ffmpeg', ['-loglevel', 'error', '-i', path, '-f', 's16le', 'pipe:1'], { maxBuffer: 1 << 26 }));
  return { samples, channels: probe.streams[0]!.channels, rate: Number(probe.streams[0]!.sample_rate) };
}

function rmsDb(samples: ArrayLike<number>, channel: number, channels: number): number {
  let sum = 0;
  let n = 0;
  for (let i = channel; i < samples.length; i += channels) {
    sum += samples[i]! * samples[i]!;
    n++;
  }
  return 10 * Math.log10(sum / n + 1e-9);
}

/** A G.729 call as the embedded gateway writes it (libbcg729-encoded tone payloads, both directions). */
function g729Capture(): string {
  const [call] = planCalls(defaultDirectory(), { seed: 3, calls: [{ at: 0, kind: 'inbound', from: '0301234567', to: '20', codec: 'g729', talkSeconds: 6 }] }, Date.UTC(2026, 0, 1));
  const path = join(work, 'g729-call.pcap');
  writeFileSync(path, writePcap(captureFrames(call!, call!.captures[0]!), { linkType: LinkType.ETHERNET }));
  return path;
}

describe('mixes and formats on G.711, G.722 and G.729 captures', () => {
  for (const capture of ['alaw-20ms.pcap', 'g722.pcap', 'g722-g711.pcap', 'mixed-law-40ms.pcap', 'g729 (embedded gateway)']) {
    it(`${capture}: mono = (left + right) / 2 and internal = right, sample for sample; MP3 decodes to the same length, channels and levels`, async () => {
      const input = capture.startsWith('g729') ? g729Capture() : join(FIXTURES, capture);
      const stereo = await convertCapture(input, { outDir: join(work, 'stereo'), durable: false });
      const mono = await convertCapture(input, { outDir: join(work, 'mono'), mix: 'mono', durable: false });
      const internal = await convertCapture(input, { outDir: join(work, 'internal'), mix: 'internal', durable: false });
      const s = wavSamples(stereo.outputs[0]!.path);
      const m = wavSamples(mono.outputs[0]!.path);
      const r = wavSamples(internal.outputs[0]!.path);
      expect(m.length * 2).toBe(s.length);
      expect(r.length * 2).toBe(s.length);
      let monoDiffs = 0;
      let rightDiffs = 0;
      for (let i = 0; i < m.length; i++) {
        if (m[i] !== (s[2 * i]! + s[2 * i + 1]!) >> 1) monoDiffs++;
        if (r[i] !== s[2 * i + 1]) rightDiffs++;
      }
      expect(monoDiffs).toBe(0);
      expect(rightDiffs).toBe(0);

      for (const mix of ['stereo', 'mono'] as const) {
        const mp3 = await convertCapture(input, { outDir: join(work, `mp3-${mix}`), format: 'mp3', mix, durable: false });
        const decoded = ffmpegDecode(mp3.outputs[0]!.path);
        const reference = mix === 'stereo' ? s : m;
        const channels = mix === 'stereo' ? 2 : 1;
        expect(decoded.channels).toBe(channels);
        expect(decoded.rate).toBe(stereo.outputs[0]!.sampleRate);
        expect(decoded.samples.length).toBe(reference.length);
        for (let c = 0; c < channels; c++) expect(Math.abs(rmsDb(decoded.samples, c, channels) - rmsDb(reference, c, channels))).toBeLessThan(1.5);
      }
    });
  }
});
