import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkType, buildUdpFrame, writePcap } from '../../../src/media/pcap/index.js';
import { encodeRtpPacket } from '../../../src/embedded/index.js';
import { runCliChild } from '../../helpers/child-cli.js';
import { spawnSync } from 'node:child_process';

const ROOT = join(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'fixtures/calls');
const work = mkdtempSync(join(tmpdir(), 'recorder-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Run the real command (through tsx, so the test needs no build). */
const recorder = (args: string[]) => runCliChild(args);

function udpCapture(payloads: Array<{ port: number; payload: Uint8Array }>): Uint8Array {
  return writePcap(
    payloads.map((p, i) => ({
      time: 1_700_000_000 + i * 0.02,
      data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: '10.1.1.1', dst: '10.1.1.2', srcPort: p.port, dstPort: p.port, payload: p.payload }),
    })),
    { linkType: LinkType.ETHERNET },
  );
}

describe('recorder convert on a directory of good and broken files', () => {
  const dir = join(work, 'mixed');
  const out = join(work, 'out');
  beforeAll(() => {
    mkdirSync(join(dir, 'nested'), { recursive: true });
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(dir, 'good-1.pcap'));
    copyFileSync(join(FIXTURES, 'multi-call.pcap'), join(dir, 'nested', 'good-2.pcap'));
    writeFileSync(join(dir, 'empty.pcap'), new Uint8Array(0));
    writeFileSync(join(dir, 'notes.pcap'), 'this is a text file, not a capture\n');
    const good = readFileSync(join(FIXTURES, 'alaw-20ms.pcap'));
    writeFileSync(join(dir, 'truncated.pcap'), good.subarray(0, Math.floor(good.length / 2) + 7));
    // DNS-like traffic only: no RTP at all.
    writeFileSync(join(dir, 'no-audio.pcap'), udpCapture(Array.from({ length: 20 }, (_, i) => ({ port: 53, payload: Uint8Array.of(i, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) }))));
    // RTP carrying GSM (payload type 3): a codec this recorder does not decode.
    writeFileSync(
      join(dir, 'gsm.pcap'),
      udpCapture(Array.from({ length: 20 }, (_, i) => ({ port: 4000, payload: encodeRtpPacket({ payloadType: 3, sequence: i, timestamp: i * 160, ssrc: 5, payload: new Uint8Array(33) }) }))),
    );
    writeFileSync(join(dir, 'readme.txt'), 'not a capture by name: not picked up when walking');
  });

  it('converts the good ones, names each broken one with its reason, exits 1', async () => {
    const r = await recorder(['convert', dir, '-o', out, '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED .*empty\.pcap: .*empty/i);
    expect(r.stderr).toMatch(/FAILED .*notes\.pcap: .*not a pcap or pcapng file/i);
    // A truncated capture gives the audio before the cut, with a warning (see batch-safety.test.ts).
    expect(r.stderr).toMatch(/warning .*truncated\.pcap: truncated capture: .*recovered/i);
    expect(r.stderr).toMatch(/FAILED .*no-audio\.pcap: no RTP audio found/);
    expect(r.stderr).toMatch(/FAILED .*gsm\.pcap: .*payload types? 3/);
    expect(r.stderr).not.toMatch(/good-1|good-2|readme/);
    // The tree below the named folder is kept under -o.
    const written = readdirSync(out).sort();
    expect(written).toEqual(expect.arrayContaining(['good-1.wav', 'nested']));
    expect(readdirSync(join(out, 'nested')).sort()).toEqual(['good-2_1.wav', 'good-2_2.wav', 'good-2_3.wav']);
    // A truncated capture still gives the audio before the cut.
    expect(written).toContain('truncated.wav');
    expect(written.filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(r.stdout).toMatch(/3\/7 files converted, 4 failed/);
  });

  it('--json gives the summary with per-output statistics', async () => {
    const r = await recorder(['convert', join(dir, 'good-1.pcap'), '-o', join(work, 'json'), '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { files: number; failed: number; reports: Array<{ outputs: Array<{ codec: string; durationSeconds: number; packets: number; lost: number; streams: unknown[] }> }> };
    expect(summary).toMatchObject({ files: 1, failed: 0 });
    const output = summary.reports[0]!.outputs[0]!;
    expect(output).toMatchObject({ codec: 'pcma', durationSeconds: 1.5, packets: 150, lost: 0 });
    expect(output.streams).toHaveLength(2);
  });

  it('usage errors exit 2', async () => {
    expect((await recorder(['convert'])).code).toBe(2);
    expect((await recorder(['convert', dir, '--mix', 'quadraphonic'])).code).toBe(2);
    expect((await recorder(['no-such-command'])).code).toBe(2);
    const rate = await recorder(['convert', dir, '--format', 'mp3', '--bitrate', '56']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/--bitrate 56: 56 kbit\/s is not a rate the WebAssembly LAME encoder takes .*\(--mp3-encoder lamejs\)/);
  });

  it('a path that does not exist is a named failure', async () => {
    const r = await recorder(['convert', join(work, 'nowhere.pcap')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nowhere\.pcap: no such file or directory/);
  });

  it('G.711-in-WAV and the mono and internal-only mixes', async () => {
    const capture = join(FIXTURES, 'alaw-20ms.pcap');
    const expectations = [
      { args: ['--encoding', 'alaw'], channels: 2, tag: 6, bytesPerFrame: 2 },
      { args: ['--encoding', 'ulaw', '--mix', 'mono'], channels: 1, tag: 7, bytesPerFrame: 1 },
      { args: ['--mix', 'internal'], channels: 1, tag: 1, bytesPerFrame: 2 },
    ];
    for (const [i, e] of expectations.entries()) {
      const target = join(work, `variant-${i}`);
      expect((await recorder(['convert', capture, '-o', target, ...e.args])).code).toBe(0);
      const wav = readFileSync(join(target, 'alaw-20ms.wav'));
      expect(wav.readUInt16LE(20)).toBe(e.tag);
      expect(wav.readUInt16LE(22)).toBe(e.channels);
      expect(wav.readUInt16LE(32)).toBe(e.bytesPerFrame);
      const dataOffset = wav.indexOf('data') + 8;
      expect(wav.length - dataOffset).toBe(12000 * e.bytesPerFrame);
    }
  });

  it('ffmpeg reads what we write, in every encoding', () => {
    const target = join(work, 'variant-0', 'alaw-20ms.wav');
    expect(existsSync(target)).toBe(true);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,channels,sample_rate,duration', '-of', 'json', target], { encoding: 'utf8' });
    const stream = (JSON.parse(probe.stdout) as { streams: Array<Record<string, unknown>> }).streams[0]!;
    expect(stream).toMatchObject({ codec_name: 'pcm_alaw', channels: 2, sample_rate: '8000', duration: '1.500000' });
  });
});

describe('recorder codec', () => {
  const G722 = join(ROOT, 'fixtures/g722');
  it('decode --codec g722 gives ffmpeg\'s samples; encode gives ffmpeg\'s bitstream', async () => {
    const out = join(work, 'speech.pcm');
    const r = await recorder(['codec', 'decode', '--codec', 'g722', join(G722, 'speech.g722'), out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ codec: 'g722', sampleRate: 16000 });
    expect(Buffer.compare(readFileSync(out), readFileSync(join(G722, 'speech.pcm')))).toBe(0);
    const encoded = join(work, 'speech.g722');
    expect((await recorder(['codec', 'encode', '--codec', 'g722', join(G722, 'speech.raw'), encoded])).code).toBe(0);
    expect(Buffer.compare(readFileSync(encoded), readFileSync(join(G722, 'speech.g722')))).toBe(0);
  });

  it('pcma/pcmu round trip; usage errors exit 2; a missing input exits 1 naming it', async () => {
    const pcm = new Int16Array(800).map((_, i) => Math.round(9000 * Math.sin(i / 7)));
    writeFileSync(join(work, 'tone.raw'), new Uint8Array(pcm.buffer));
    for (const codec of ['pcma', 'pcmu']) {
      expect((await recorder(['codec', 'encode', '--codec', codec, join(work, 'tone.raw'), join(work, `tone.${codec}`)])).code).toBe(0);
      expect(readFileSync(join(work, `tone.${codec}`)).length).toBe(800);
      expect((await recorder(['codec', 'decode', '--codec', codec, join(work, `tone.${codec}`), join(work, `tone.${codec}.raw`)])).code).toBe(0);
      expect(readFileSync(join(work, `tone.${codec}.raw`)).length).toBe(1600);
    }
    expect((await recorder(['codec', 'decode', '--codec', 'opus', 'a', 'b'])).code).toBe(2);
    expect((await recorder(['codec', 'decode', 'a', 'b'])).code).toBe(2);
    const missing = await recorder(['codec', 'decode', '--codec', 'pcma', join(work, 'nothing.pcma'), join(work, 'x.raw')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothing\.pcma: no such file/);
  });
});
