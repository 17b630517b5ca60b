// The converter never loses, splices or silently replaces a recording: trees with clashing names, existing
// outputs, Ctrl-C / SIGTERM / kill -9 mid-file, truncated and compressed captures, options that do not apply.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInputs, convertAll, convertCapture } from '../../../src/recorder/convert/index.js';
import type { BatchProgress } from '../../../src/recorder/convert/index.js';
import { OutputExistsError, PartialFile } from '../../../src/platform/util/index.js';
import { writeToneCall, writeToneCalls } from '../../helpers/tone-call.js';

const ROOT = join(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'fixtures/calls');
const work = mkdtempSync(join(tmpdir(), 'recorder-batch-safety-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CLI = ['--import', 'tsx', join(ROOT, 'test/helpers/run-cli.ts')];

/** The recorder command, run in this process (spawning it costs a second or more of start-up each time). */
function recorder(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runInProcess(args);
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file below `dir`, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

function partials(dir: string): string[] {
  return tree(dir).filter((f) => f.endsWith('.partial'));
}

async function waitFor(check: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two captures with one name in a tree', () => {
  const tree1 = join(work, 'tree');
  beforeAll(() => {
    mkdirSync(join(tree1, 'a'), { recursive: true });
    mkdirSync(join(tree1, 'b'), { recursive: true });
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(tree1, 'a', 'call.pcap'));
    copyFileSync(join(FIXTURES, 'multi-call.pcap'), join(tree1, 'b', 'call.pcap'));
    // Same stem, other format, same folder: must not share an output either.
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(tree1, 'a', 'call.cap'));
  });

  for (const workers of [undefined, 1, 2] as const) {
    it(`keep the tree under -o, each capture its own recordings (${workers === undefined ? 'in-thread' : `${workers} worker${workers > 1 ? 's' : ''}`})`, async () => {
      const out = join(work, `tree-out-${workers ?? 0}`);
      const summary = await convertAll([tree1], { outDir: out, durable: false, landing: { mode: 'exclusive' }, ...(workers ? { workers } : {}) });
      expect(summary.failed).toBe(0);
      expect(tree(out)).toEqual(['a/call.cap.wav', 'a/call.pcap.wav', 'b/call_1.wav', 'b/call_2.wav', 'b/call_3.wav']);
      // Each recording is the one its capture gives alone.
      const alone = await convertCapture(join(FIXTURES, 'alaw-20ms.pcap'), { outDir: join(out, '..', `alone-${workers ?? 0}`), durable: false });
      expect(sha(join(out, 'a/call.pcap.wav'))).toBe(sha(alone.outputs[0]!.path));
      expect(sha(join(out, 'a/call.cap.wav'))).toBe(sha(alone.outputs[0]!.path));
      expect(summary.outputs).toBe(5);
    });
  }

  it('files named on the command line from two folders get distinct names under -o', async () => {
    const out = join(work, 'args-out');
    const r = await recorder(['convert', join(tree1, 'a', 'call.pcap'), join(tree1, 'b', 'call.pcap'), '-o', out, '--no-progress', '--workers', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(tree(out)).toEqual(['a/call.wav', 'b/call_1.wav', 'b/call_2.wav', 'b/call_3.wav']);
    // A successful convert says where each recording went.
    expect(r.stdout).toContain(`${join(tree1, 'a', 'call.pcap')} → ${join(out, 'a', 'call.wav')}`);
    expect(r.stdout).toMatch(/2\/2 files converted; 4 recordings from 4 calls/);
  });

  it('a landing never replaces: the second writer of one name fails, the first file stays whole', () => {
    const path = join(work, 'landing.bin');
    const first = new PartialFile(path, false, { mode: 'exclusive', tag: 'test-aaaaaa' });
    const second = new PartialFile(path, false, { mode: 'exclusive', tag: 'test-aaaaaa' });
    // Two writers of one name write two temporary files, never one shared one.
    expect(first.partialPath).not.toBe(second.partialPath);
    first.append(new Uint8Array([1, 2, 3]));
    second.append(new Uint8Array([9, 9, 9, 9]));
    first.commit();
    expect(() => second.commit()).toThrow(OutputExistsError);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(work).filter((f) => f.startsWith('landing.bin.'))).toEqual([]);
  });
});

describe('existing recordings', () => {
  const dir = join(work, 'existing');
  const out = join(work, 'existing-out');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(dir, 'one.pcap'));
    copyFileSync(join(FIXTURES, 'multi-call.pcap'), join(dir, 'three.pcap'));
  });

  it('are refused per file unless --force; --force replaces them', async () => {
    expect((await recorder(['convert', dir, '-o', out, '--no-progress'])).code).toBe(0);
    const before = sha(join(out, 'one.wav'));
    writeFileSync(join(out, 'three_2.wav'), 'a recording someone kept');
    const again = await recorder(['convert', dir, '-o', out, '--no-progress']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/FAILED .*one\.pcap: call 1: .*one\.wav exists; not replaced \(--force replaces it\)/);
    expect(again.stderr).toMatch(/FAILED .*three\.pcap: .*three_2\.wav exists/);
    expect(readFileSync(join(out, 'three_2.wav'), 'utf8')).toBe('a recording someone kept');
    const forced = await recorder(['convert', dir, '-o', out, '--no-progress', '--force']);
    expect(forced.code).toBe(0);
    expect(sha(join(out, 'one.wav'))).toBe(before);
    expect(statSync(join(out, 'three_2.wav')).size).toBeGreaterThan(1000);
    expect(partials(out)).toEqual([]);
  });

  it('--force never replaces a recording written by the same run (NAME_1 of a two-call capture beside a capture named NAME_1)', async () => {
    const clash = join(work, 'clash');
    mkdirSync(clash, { recursive: true });
    copyFileSync(join(FIXTURES, 'multi-call.pcap'), join(clash, 'x.pcap'));
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(clash, 'x_1.pcap'));
    const summary = await convertAll([clash], { outDir: join(work, 'clash-out'), durable: false, landing: { mode: 'replace-older', replaceBefore: Date.now() }, workers: 2 });
    // One of the two is refused, by name; neither overwrote the other.
    expect(summary.failed).toBe(1);
    const refused = summary.reports.find((r) => !r.ok)!;
    expect(refused.error).toMatch(/x_1\.wav was written by another capture of this run; not replaced/);
    expect(tree(join(work, 'clash-out'))).toEqual(['x_1.wav', 'x_2.wav', 'x_3.wav']);
  });
});

describe('stopping a conversion', () => {
  const dir = join(work, 'long');
  const capture = join(dir, 'ten-minutes.pcap');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeToneCall(capture, { seconds: 600 });
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} mid-file: partial output removed, the run says what finished, exit ${code}`, { timeout: 180_000 }, async () => {
      const out = join(work, `stopped-${signal}`);
      copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(dir, 'a-short.pcap'));
      const child = spawn(process.execPath, [...CLI, 'convert', dir, '-o', out, '--format', 'mp3', '--workers', '1', '--no-progress'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      await waitFor(() => partials(out).some((f) => f.startsWith('ten-minutes')), 'the long recording to be in progress');
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(partials(out)).toEqual([]);
      expect(tree(out)).toEqual(['a-short.mp3']);
      expect(stderr).toMatch(new RegExp(`${signal} — stopping`));
      expect(stderr).toMatch(/FAILED .*ten-minutes\.pcap: conversion cancelled/);
      expect(stdout).toMatch(/1\/2 files converted, 1 failed \(interrupted\)/);
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`recorder-seal-${child.pid}-`))).toEqual([]);
    });
  }

  it('kill -9 mid-file leaves a temporary file that the next run removes; the re-run writes the recording', { timeout: 180_000 }, async () => {
    const out = join(work, 'killed');
    const child = spawn(process.execPath, [...CLI, 'convert', capture, '-o', out, '--format', 'mp3', '--no-progress'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await waitFor(() => partials(out).length > 0, 'the recording to be in progress');
    child.kill('SIGKILL');
    await exited;
    expect(partials(out)).toHaveLength(1);
    const again = await recorder(['convert', capture, '-o', out, '--format', 'mp3', '--no-progress']);
    expect(again.code).toBe(0);
    expect(tree(out)).toEqual(['ten-minutes.mp3']);
  });
});

describe('truncated and compressed captures', () => {
  const dir = join(work, 'cut');
  const good = readFileSync(join(FIXTURES, 'alaw-20ms.pcap'));
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'half.pcap'), good.subarray(0, Math.floor(good.length / 2) + 7));
    writeFileSync(join(dir, 'twenty-bytes.pcap'), good.subarray(0, 20));
    writeFileSync(join(dir, 'header-only.pcap'), good.subarray(0, 24 + 10));
  });

  it('a truncated capture gives the audio before the cut, reported as converted with one warning (exit 0)', async () => {
    const out = join(work, 'cut-out');
    const r = await recorder(['convert', join(dir, 'half.pcap'), '-o', out, '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning .*half\.pcap: truncated capture: the file ends in the middle of a record .*; the [\d.]+ s of audio before the cut were recovered/);
    expect(r.stderr).not.toMatch(/truncated capture: truncated capture/);
    expect(r.stdout).toMatch(/1\/1 file converted; 1 recording from 1 call/);
    expect(tree(out)).toEqual(['half.wav']);
  });

  it('--strict: a truncated capture fails and writes nothing', async () => {
    const out = join(work, 'cut-strict');
    const r = await recorder(['convert', join(dir, 'half.pcap'), '-o', out, '--no-progress', '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED .*half\.pcap: truncated capture: .*nothing written \(--strict\)/);
    expect(tree(out)).toEqual([]);
  });

  it('captures cut before any audio claim none', async () => {
    for (const name of ['twenty-bytes.pcap', 'header-only.pcap']) {
      const report = await convertCapture(join(dir, name), { outDir: join(work, 'cut-none'), durable: false });
      expect(report.ok).toBe(false);
      expect(report.error).toMatch(/^truncated capture: .*(no RTP audio before the cut)?/);
      expect(report.error).not.toMatch(/recovered/);
      expect(report.outputs).toEqual([]);
    }
    expect(tree(join(work, 'cut-none'))).toEqual([]);
  });

  it('.pcap.gz is read streaming, found in folders, and gives the same recording; a cut .gz recovers with a warning; junk .gz is named', async () => {
    const gz = join(work, 'gz');
    mkdirSync(gz, { recursive: true });
    const compressed = gzipSync(good);
    writeFileSync(join(gz, 'call.pcap.gz'), compressed);
    writeFileSync(join(gz, 'cut.pcapng.gz'), compressed.subarray(0, Math.floor(compressed.length * 0.6)));
    writeFileSync(join(gz, 'junk.pcap.gz'), Buffer.concat([compressed.subarray(0, 10), Buffer.alloc(200, 7)]));
    const summary = await convertAll([gz], { outDir: join(work, 'gz-out'), durable: false });
    const byName = Object.fromEntries(summary.reports.map((r) => [r.input.split('/').pop(), r]));
    expect(byName['call.pcap.gz']!.ok).toBe(true);
    const plain = await convertCapture(join(FIXTURES, 'alaw-20ms.pcap'), { outDir: join(work, 'gz-plain'), durable: false });
    expect(sha(join(work, 'gz-out', 'call.wav'))).toBe(sha(plain.outputs[0]!.path));
    expect(byName['cut.pcapng.gz']!.ok).toBe(true);
    expect(byName['cut.pcapng.gz']!.warnings.join()).toMatch(/truncated capture: .*recovered/);
    expect(byName['junk.pcap.gz']!.ok).toBe(false);
    expect(byName['junk.pcap.gz']!.error).toMatch(/gzip/);
  });
});

describe('options and folders', () => {
  it('options that do not apply are refused (exit 2)', async () => {
    const capture = join(FIXTURES, 'alaw-20ms.pcap');
    const bitrate = await recorder(['convert', capture, '-o', join(work, 'x'), '--bitrate', '64']);
    expect(bitrate.code).toBe(2);
    expect(bitrate.stderr).toMatch(/--bitrate applies to MP3 and Opus/);
    const encoding = await recorder(['convert', capture, '-o', join(work, 'x'), '--format', 'mp3', '--encoding', 'alaw']);
    expect(encoding.code).toBe(2);
    expect(encoding.stderr).toMatch(/--encoding applies to WAV only/);
  });

  it('G.711-in-WAV is refused for a wide-band (G.722) call, by name', async () => {
    const g722 = readdirSync(FIXTURES).find((f) => /g722/i.test(f) && f.endsWith('.pcap'));
    expect(g722).toBeDefined();
    const report = await convertCapture(join(FIXTURES, g722!), { outDir: join(work, 'g722-alaw'), encoding: 'alaw', durable: false });
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/--encoding alaw stores 8 kHz G\.711 and cannot hold this call's 16 kHz g722 audio/);
  });

  it('-o that is a file is reported once (exit 2), not per capture', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    const r = await recorder(['convert', FIXTURES, '-o', file, '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/-o .*a-file: a file is in the way/);
  });

  it('--json says which stream went to which channel; the summary reads right for one call', async () => {
    const r = await recorder(['convert', join(FIXTURES, 'alaw-20ms.pcap'), '-o', join(work, 'json-out'), '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { reports: Array<{ outputs: Array<{ streams: Array<{ channel: string; party: string }> }> }> };
    const streams = summary.reports[0]!.outputs[0]!.streams;
    expect(streams.map((s) => `${s.party}:${s.channel}`).sort()).toEqual(['external:left', 'internal:right']);
    const human = await recorder(['convert', join(FIXTURES, 'alaw-20ms.pcap'), '-o', join(work, 'human-out')]);
    expect(human.stdout).toMatch(/1\/1 file converted; 1 recording from 1 call, .* \([\d.,]+× realtime\)/);
  });

  it('progress counts bytes read inside a capture, not only finished files', async () => {
    const dir = join(work, 'progress');
    mkdirSync(dir, { recursive: true });
    const bytes = writeToneCall(join(dir, 'long.pcap'), { seconds: 900 });
    const seen: BatchProgress[] = [];
    await convertAll([dir], { outDir: join(work, 'progress-out'), durable: false, workers: 1, progressIntervalMs: 5, onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)).toMatchObject({ filesDone: 1, bytesDone: bytes, bytesTotal: bytes });
    // Inside the one file, the bytes moved on while the file count stood at 0, and so did the work once all was read (writing).
    expect(seen.some((p) => p.filesDone === 0 && p.bytesDone > 0 && p.bytesDone < bytes)).toBe(true);
    expect(seen.some((p) => p.filesDone === 0 && p.bytesDone === bytes && p.workDone > 0.5 && p.workDone < 1)).toBe(true);
    const shares = seen.map((p) => p.workDone);
    expect(shares.every((w, i) => i === 0 || w >= shares[i - 1]!)).toBe(true);
  });

  it('folders: a temporary file of a dead run is removed; files that are not captures are counted', async () => {
    const dir = join(work, 'leftovers');
    const out = join(work, 'leftovers-out');
    mkdirSync(dir, { recursive: true });
    mkdirSync(out, { recursive: true });
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(dir, 'c.pcap'));
    writeFileSync(join(dir, 'notes.txt'), 'not a capture');
    // pid 4194303 (the largest Linux allows) is not running in this test.
    writeFileSync(join(out, 'c.wav.4194303-abcdef.0123abcd.partial'), 'half a recording');
    writeFileSync(join(out, 'unrelated.partial'), 'not ours');
    const summary = await convertAll([dir], { outDir: out, durable: false });
    expect(summary.failed).toBe(0);
    expect(tree(out)).toEqual(['c.wav', 'unrelated.partial']);
    expect(summary.ignored).toEqual([join(dir, 'notes.txt')]);
  });

  it('folders: links to captures and folders are followed (a loop once), a dangling link is named', async () => {
    const dir = join(work, 'links');
    mkdirSync(join(dir, 'tree', 'deeper'), { recursive: true });
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(dir, 'kept-elsewhere.pcap'));
    symlinkSync('../kept-elsewhere.pcap', join(dir, 'tree', 'linked.pcap'));
    symlinkSync('..', join(dir, 'tree', 'deeper', 'loop'));
    symlinkSync('nowhere.pcap', join(dir, 'tree', 'dangling.pcap'));
    const list = await collectInputs([join(dir, 'tree')]);
    expect(list.entries.map((e) => e.relative)).toEqual(['linked.pcap']);
    expect(list.missing).toEqual([{ path: join(dir, 'tree', 'dangling.pcap'), reason: 'broken link (no such file or directory)' }]);
  });

  it('an output folder inside the named tree is not walked on a re-run', async () => {
    const dir = join(work, 'inside');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIXTURES, 'alaw-20ms.pcap'), join(dir, 'c.pcap'));
    const first = await convertAll([dir], { outDir: join(dir, 'out'), durable: false });
    const second = await convertAll([dir], { outDir: join(dir, 'out'), durable: false, landing: { mode: 'replace-older', replaceBefore: Date.now() } });
    expect([first.failed, second.failed, second.ignored.length]).toEqual([0, 0, 0]);
    expect(tree(dir)).toEqual(['c.pcap', 'out/c.wav']);
  });

  it('the same capture named twice is converted once', async () => {
    const capture = join(FIXTURES, 'alaw-20ms.pcap');
    const summary = await convertAll([capture, capture, FIXTURES], { outDir: join(work, 'twice'), durable: false, landing: { mode: 'exclusive' } });
    expect(summary.failed).toBe(0);
    expect(summary.reports.filter((r) => r.input.endsWith('/alaw-20ms.pcap'))).toHaveLength(1);
  });
});

describe('a capture holding many calls', () => {
  it('300 simultaneous calls give 300 recordings, each with both parties on their channels', async () => {
    const file = join(work, 'trunk.pcap');
    writeToneCalls(
      file,
      Array.from({ length: 300 }, (_, i) => ({ seconds: 3, a: `10.1.${i >> 8}.${i & 255}`, b: `10.2.${i >> 8}.${i & 255}`, start: 1_700_000_000 + (i % 50) * 0.01, hzA: 300 + i, hzB: 1500 + i })),
    );
    const report = await convertCapture(file, { outDir: join(work, 'trunk-out'), durable: false });
    expect(report.ok).toBe(true);
    expect(report.outputs).toHaveLength(300);
    for (const output of report.outputs) {
      expect(output.streams.map((s) => s.channel).sort()).toEqual(['left', 'right']);
      expect(output.durationSeconds).toBeCloseTo(3, 1);
      expect(output.lost).toBe(0);
    }
  });
});
