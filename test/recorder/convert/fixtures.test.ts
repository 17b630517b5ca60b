import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import type { ConvertOptions, OutputReport } from '../../../src/recorder/convert/index.js';
import { countDifferences, ffmpegPipe, int16FromBuffer } from '../../helpers/tools.js';
import { tsharkRtpPayloads, tsharkRtpStreams } from '../../helpers/tshark.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/calls');

interface ManifestEntry {
  file: string;
  description: string;
  expected: string[];
  codec: string;
  sampleRate?: number;
  streams: Array<{ from: string; to: string; packets: number; lost: number; duplicates: number }>;
  convertArgs: string[];
  dtmf?: string;
  externalParty?: string;
  internalParty?: string;
  direction?: 'i' | 'o';
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as ManifestEntry[];
const work = mkdtempSync(join(tmpdir(), 'recorder-fixtures-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function optionsFor(entry: ManifestEntry, outDir: string): ConvertOptions {
  const device = entry.convertArgs.indexOf('--device');
  return { outDir, ...(device >= 0 ? { channels: { deviceAddress: entry.convertArgs[device + 1]! } } : {}) };
}

function wavData(path: string): Uint8Array {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect(bytes.subarray(36, 40).toString('latin1')).toBe('data');
  expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
  return bytes.subarray(44);
}

describe('every fixture converts to its expected recording, sample for sample', () => {
  let samplesCompared = 0;
  afterAll(() => console.log(`fixtures: ${manifest.length} captures, ${samplesCompared} samples compared, 0 differing`));

  for (const entry of manifest) {
    it(`${entry.file}: ${entry.description}`, async () => {
      const outDir = join(work, entry.file.replace(/\W/g, '_'));
      const report = await convertCapture(join(FIXTURES, entry.file), optionsFor(entry, outDir));
      expect(report.error).toBeUndefined();
      expect(report.ok).toBe(true);
      expect(report.outputs).toHaveLength(entry.expected.length);
      entry.expected.forEach((expectedFile, i) => {
        const output = report.outputs[i]!;
        expect(output.channels).toBe(2);
        expect(output.sampleRate).toBe(entry.sampleRate ?? 8000);
        expect(output.codec).toBe(entry.codec);
        const actual = int16FromBuffer(wavData(output.path));
        const expected = int16FromBuffer(readFileSync(join(FIXTURES, expectedFile)));
        const diff = countDifferences(actual, expected);
        samplesCompared += diff.compared;
        expect(diff.differing, `${expectedFile}: first difference at interleaved sample ${diff.first}`).toBe(0);
      });
      // Stream statistics as the fixture script made them.
      const streams = report.outputs.flatMap((o: OutputReport) => o.streams);
      expect(streams).toHaveLength(entry.streams.length);
      for (const want of entry.streams) {
        const got = streams.find((s) => s.from === want.from && s.to === want.to);
        expect(got, `stream ${want.from} → ${want.to}`).toBeDefined();
        expect({ packets: got!.packets, lost: got!.lost, duplicates: got!.duplicates }).toEqual({ packets: want.packets, lost: want.lost, duplicates: want.duplicates });
      }
      if (entry.dtmf) expect(streams.map((s) => s.dtmf).join('')).toBe(entry.dtmf);
      if (entry.externalParty) expect(report.outputs[0]!.externalParty).toBe(entry.externalParty);
      if (entry.internalParty) expect(report.outputs[0]!.internalParty).toBe(entry.internalParty);
      if (entry.direction) expect(report.outputs[0]!.direction).toBe(entry.direction);
    });
  }
});

describe('stream counts and loss agree with tshark', () => {
  for (const entry of manifest) {
    it(entry.file, async () => {
      const theirs = tsharkRtpStreams(join(FIXTURES, entry.file));
      const report = await convertCapture(join(FIXTURES, entry.file), optionsFor(entry, join(work, 'tshark')));
      // tshark makes one stream per SSRC; ours is one per direction with per-SSRC counts.
      const ours = report.outputs.flatMap((o) => o.streams.flatMap((s) => s.bySsrc.map((c) => ({ ...c, from: s.from, to: s.to }))));
      expect(ours.length).toBe(theirs.length);
      for (const t of theirs) {
        const ssrc = `0x${t.ssrc.toString(16).toUpperCase().padStart(8, '0')}`;
        const mine = ours.find((s) => s.from === `${t.src}:${t.srcPort}` && s.to === `${t.dst}:${t.dstPort}` && s.ssrc === ssrc);
        expect(mine, `tshark stream ${t.src}:${t.srcPort} → ${t.dst}:${t.dstPort} ${ssrc}`).toBeDefined();
        expect(mine!.packets).toBe(t.packets);
        // tshark counts lost as expected − received, so each duplicate hides one loss.
        expect(mine!.lost - mine!.duplicates).toBe(t.lost);
      }
    });
  }
});

const SIPP_CAPTURE = '/usr/share/sip-tester/g711a.pcap';

describe("a capture nobody here wrote: SIPp's g711a.pcap (Debian sip-tester)", () => {
  it('converts; stream and packet counts equal tshark; audio equals ffmpeg decoding tshark-extracted payloads', async () => {
    if (!existsSync(SIPP_CAPTURE)) throw new Error(`${SIPP_CAPTURE} is missing: apt-get install sip-tester (.ci/run does)`);
    const theirs = tsharkRtpStreams(SIPP_CAPTURE);
    const report = await convertCapture(SIPP_CAPTURE, { outDir: join(work, 'sipp') });
    expect(report.ok).toBe(true);
    const streams = report.outputs.flatMap((o) => o.streams);
    expect(streams.length).toBe(theirs.length);
    expect(streams[0]!.packets).toBe(theirs[0]!.packets);
    expect(streams[0]!.lost - streams[0]!.duplicates).toBe(theirs[0]!.lost);
    // The only stream is sent by the first sender, so with the default gateway rule it is the external party: left.
    const payloads = tsharkRtpPayloads(SIPP_CAPTURE, theirs[0]!.ssrc);
    const bytes = Buffer.concat(payloads);
    const reference = int16FromBuffer(ffmpegPipe(['-f', 'alaw', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], bytes));
    const pcm = int16FromBuffer(wavData(report.outputs[0]!.path));
    const left = pcm.filter((_, i) => i % 2 === 0);
    const right = pcm.filter((_, i) => i % 2 === 1);
    expect(countDifferences(left, reference).differing).toBe(0);
    expect(right.every((s) => s === 0)).toBe(true);
    console.log(`SIPp g711a.pcap: ${theirs[0]!.packets} packets, ${reference.length} samples equal to the payload decoding`);
  });
});

describe("SIPp's RFC 2833 captures (Debian sip-tester): key presses nobody here encoded", () => {
  const keys: Record<string, string> = { pound: '#', star: '*', ...Object.fromEntries([...'0123456789'].map((d) => [d, d])) };
  for (const [name, digit] of Object.entries(keys)) {
    it(`dtmf_2833_${name}.pcap gives "${digit}" once, packets as tshark counts them`, async () => {
      const file = `/usr/share/sip-tester/dtmf_2833_${name}.pcap`;
      if (!existsSync(file)) throw new Error(`${file} is missing: apt-get install sip-tester (.ci/run does)`);
      const report = await convertCapture(file, { outDir: join(work, 'sipp-dtmf') });
      // Events only, no audio: reported as a failure that still names the key.
      expect(report.ok).toBe(false);
      expect(report.error).toContain(`only telephone events (DTMF "${digit}")`);
      const theirs = tsharkRtpStreams(file);
      const ours = report.unrecordedStreams ?? [];
      expect(ours.map((s) => s.dtmf)).toEqual([digit]);
      expect(ours[0]!.packets).toBe(theirs[0]!.packets);
    });
  }
});
