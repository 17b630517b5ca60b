import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildUdpFrame,
  buildUdpPacket,
  CaptureError,
  concatBytes,
  fragmentIpv4,
  fragmentIpv6,
  LinkType,
  parseCapture,
  readCapture,
  wrapInLinkLayer,
  writePcap,
  writePcapng,
} from '../../../src/media/pcap/index.js';
import type { CaptureErrorCode, CaptureFrame, PcapngRecord } from '../../../src/media/pcap/index.js';
import { mulberry32, randomBytes, randomInt } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pcap-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sampleFrames(seed: number, linkType: number): CaptureFrame[] {
  const rng = mulberry32(seed);
  const frames: CaptureFrame[] = [];
  for (let i = 0; i < 24; i++) {
    const time = { seconds: 1_700_000_000 + i, nanoseconds: randomInt(rng, 1e9) };
    const v6 = i % 3 === 0 && linkType !== LinkType.IPV4;
    const [src, dst] = v6 ? ['2001:db8::1', '2001:db8::2'] : ['10.0.0.1', '10.0.0.2'];
    if (i % 7 === 3) {
      const packet = buildUdpPacket({ src, dst, srcPort: 1, dstPort: 2, payload: randomBytes(rng, 200), ipId: i });
      const fragments = v6 ? fragmentIpv6(packet, 64, i) : fragmentIpv4(packet, 64);
      for (const fragment of fragments) frames.push({ data: wrapInLinkLayer(fragment, { linkType, vlanTags: [3] }), time });
    } else {
      const data = buildUdpFrame({ linkType, vlanTags: [3, 4], src, dst, srcPort: 1000 + i, dstPort: 2000, payload: randomBytes(rng, randomInt(rng, 120)) });
      frames.push({ data, time });
    }
  }
  return frames;
}

const ng: PcapngRecord[] = sampleFrames(3, LinkType.ETHERNET).map((f, i) => ({
  ...f,
  interfaceId: i % 2,
  ...(i % 5 === 1 ? { block: 'simple' as const } : i % 5 === 2 ? { block: 'obsolete' as const } : {}),
}));
ng.splice(4, 0, { blockType: 5, body: new Uint8Array(20) }, { blockType: 0xbad, body: new Uint8Array(7) });

const SEEDS: Uint8Array[] = [
  writePcap(sampleFrames(1, LinkType.ETHERNET), { linkType: LinkType.ETHERNET }),
  writePcap(sampleFrames(2, LinkType.LINUX_SLL), { linkType: LinkType.LINUX_SLL, byteOrder: 'big', resolution: 'nano' }),
  writePcap(sampleFrames(4, LinkType.NULL), { linkType: LinkType.NULL, modified: true }),
  concatBytes([
    writePcapng(ng, {
      interfaces: [
        { linkType: LinkType.ETHERNET, resolution: { base: 2, exponent: 30 } },
        { linkType: LinkType.ETHERNET, resolution: { base: 10, exponent: 9 }, offsetSeconds: -5 },
      ],
    }),
    writePcapng(sampleFrames(5, LinkType.RAW), { byteOrder: 'big', interfaces: [{ linkType: LinkType.RAW, snapLength: 80 }] }),
  ]),
];

const INTERESTING_WORDS = [0, 1, 3, 11, 12, 16, 28, 0x7ffffffc, 0x10000000, 0xfffffffc, 0xffffffff, 0x0a0d0d0a, 0x1a2b3c4d, 0x4d3c2b1a];

function mutate(rng: () => number, seed: Uint8Array): Uint8Array {
  const data = seed.slice();
  const view = new DataView(data.buffer);
  const mutations = 1 + randomInt(rng, 4);
  let result: Uint8Array = data;
  for (let m = 0; m < mutations; m++) {
    const kind = randomInt(rng, 6);
    const at = randomInt(rng, result.length);
    if (kind === 0) {
      result[at] = result[at]! ^ (1 << randomInt(rng, 8));
    } else if (kind === 1) {
      result[at] = randomInt(rng, 256);
    } else if (kind === 2 && result === data && at + 4 <= data.length) {
      // Length and type fields sit on 4-byte boundaries: hit those most.
      const aligned = at & ~3;
      view.setUint32(aligned, INTERESTING_WORDS[randomInt(rng, INTERESTING_WORDS.length)]!, randomInt(rng, 2) === 0);
    } else if (kind === 3) {
      result = result.subarray(0, at);
    } else if (kind === 4) {
      const length = randomInt(rng, 64);
      result = concatBytes([result.subarray(0, at), result.subarray(at, at + length), result.subarray(at)]);
    } else {
      result = concatBytes([result.subarray(0, at), randomBytes(rng, randomInt(rng, 16)), result.subarray(at)]);
    }
  }
  return result;
}

const MAGICS = [
  Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1),
  Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4),
  Uint8Array.of(0x4d, 0x3c, 0xb2, 0xa1),
  Uint8Array.of(0x34, 0xcd, 0xb2, 0xa1),
  Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a),
];

interface Outcome {
  readonly code: CaptureErrorCode | 'OK';
  readonly datagrams: number;
  readonly frames: number;
}

/** Parse, and turn the result into an outcome; anything but success or a CaptureError fails the test. */
function outcome(data: Uint8Array): Outcome {
  let datagrams = 0;
  let badViews = 0;
  try {
    const stats = parseCapture(data, 'fuzz', (d) => {
      // Every payload is a real view: inside its buffer and no longer than a datagram can be.
      if (d.payload.byteOffset + d.payload.length > d.payload.buffer.byteLength || d.payload.length > 65535 - 8) badViews++;
      datagrams++;
    });
    expect(stats.udpDatagrams).toBe(datagrams);
    expect(badViews).toBe(0);
    return { code: 'OK', datagrams, frames: stats.frames };
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    expect(error.reason).not.toMatch(/^internal error/);
    expect(badViews).toBe(0);
    return { code: error.code, datagrams, frames: error.stats?.frames ?? 0 };
  }
}

describe('fuzz: every input ends in success or a CaptureError', () => {
  it('mutated valid captures (bit flips, truncations, length words set to 0/huge, duplications, insertions)', () => {
    const rng = mulberry32(0x5eed);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const result = outcome(mutate(rng, SEEDS[i % SEEDS.length]!));
      counts.set(result.code, (counts.get(result.code) ?? 0) + 1);
    }
    console.log('fuzz outcomes over 6000 mutated captures:', Object.fromEntries(counts));
    // The mutations reach both the happy path and the error paths.
    expect(counts.get('OK')).toBeGreaterThan(500);
    expect(counts.get('TRUNCATED')).toBeGreaterThan(500);
    expect(counts.get('BAD_BLOCK')).toBeGreaterThan(200);
  });

  it('random buffers, bare and behind each capture magic', () => {
    const rng = mulberry32(0xfeed);
    for (let i = 0; i < 5000; i++) {
      const body = randomBytes(rng, randomInt(rng, 400));
      const data = i % 5 === 0 ? body : concatBytes([MAGICS[i % MAGICS.length]!, body]);
      outcome(data);
    }
  });

  it('streaming with small chunks gives the same outcome as parsing the whole buffer', async () => {
    const rng = mulberry32(0xc0ffee);
    const path = join(dir, 'case.bin');
    for (let i = 0; i < 150; i++) {
      const data = mutate(rng, SEEDS[i % SEEDS.length]!);
      const expected = outcome(data);
      writeFileSync(path, data);
      let datagrams = 0;
      let got: Outcome;
      try {
        const stats = await readCapture(path, () => datagrams++, { chunkSize: 1 + randomInt(rng, 100) });
        got = { code: 'OK', datagrams, frames: stats.frames };
      } catch (error) {
        if (!(error instanceof CaptureError)) throw error;
        got = { code: error.code, datagrams, frames: error.stats?.frames ?? 0 };
      }
      expect(got).toEqual(expected);
    }
  });
});

/** Outcome of a recovering read: it never fails for damage, only for what is not a capture at all or a cut file. */
function recovered(data: Uint8Array): Outcome & { damagedRegions: number; damagedBytes: number } {
  let datagrams = 0;
  try {
    const stats = parseCapture(data, 'fuzz', () => datagrams++, { recover: true });
    return { code: 'OK', datagrams, frames: stats.frames, damagedRegions: stats.damagedRegions, damagedBytes: stats.damagedBytes };
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    expect(error.reason).not.toMatch(/^internal error/);
    return { code: error.code, datagrams, frames: error.stats?.frames ?? 0, damagedRegions: error.stats?.damagedRegions ?? 0, damagedBytes: error.stats?.damagedBytes ?? 0 };
  }
}

describe('recovering reads (the converter): damaged records are skipped, not the rest of the file', () => {
  /** Byte offsets of the records of a classic little-endian pcap. */
  function recordOffsets(data: Uint8Array, header = 16): number[] {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const offsets: number[] = [];
    for (let at = 24; at + header <= data.length; at += header + view.getUint32(at + 8, true)) offsets.push(at);
    return offsets;
  }

  it('one bad record length costs at most that record and the one after it, wherever it is', () => {
    const seed = SEEDS[0]!;
    const offsets = recordOffsets(seed);
    let cases = 0;
    for (const [index, at] of offsets.entries()) {
      for (const bad of [0xffffffff, 0x10000000, 0x00ffffff, 65000, 4000, 0]) {
        const copy = seed.slice();
        new DataView(copy.buffer).setUint32(at + 8, bad, true);
        const strict = outcome(copy);
        const result = recovered(copy);
        expect({ index, bad, code: result.code }).toEqual({ index, bad, code: 'OK' });
        expect({ index, bad, enough: result.frames >= offsets.length - 2 }).toEqual({ index, bad, enough: true });
        expect(result.frames).toBeGreaterThanOrEqual(strict.frames);
        cases++;
      }
    }
    expect(cases).toBe(offsets.length * 6);
  });

  it('a cut file is still a cut (TRUNCATED), not damage', () => {
    const seed = SEEDS[0]!;
    const cut = seed.subarray(0, seed.length - 7);
    expect(recovered(cut)).toMatchObject({ code: 'TRUNCATED', frames: recordOffsets(seed).length - 1, damagedRegions: 0 });
  });

  it('an impossible fraction of a second takes the time of the record before', () => {
    const seed = SEEDS[0]!;
    const at = recordOffsets(seed)[5]!;
    const copy = seed.slice();
    new DataView(copy.buffer).setUint32(at + 4, 0xfffffff0, true);
    const times: number[] = [];
    const stats = parseCapture(copy, 'x', (d) => times.push(d.time), { recover: true });
    expect(stats.repairedTimestamps).toBe(1);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]! - 1);
  });

  it('mutated captures: never an exception, never worse than the strict read, and streaming in small chunks gives the same', async () => {
    const rng = mulberry32(0xbadc0de);
    const path = join(dir, 'recover.bin');
    const counts = { damaged: 0, better: 0 };
    for (let i = 0; i < 600; i++) {
      const data = mutate(rng, SEEDS[i % SEEDS.length]!);
      const strict = outcome(data);
      const whole = recovered(data);
      expect(whole.frames).toBeGreaterThanOrEqual(strict.code === 'OK' ? strict.frames - 2 : 0);
      if (whole.damagedRegions > 0) counts.damaged++;
      if (whole.datagrams > strict.datagrams) counts.better++;
      if (i % 4 !== 0) continue;
      writeFileSync(path, data);
      let datagrams = 0;
      let streamed: typeof whole;
      try {
        const stats = await readCapture(path, () => datagrams++, { chunkSize: 1 + randomInt(rng, 100), recover: true });
        streamed = { code: 'OK', datagrams, frames: stats.frames, damagedRegions: stats.damagedRegions, damagedBytes: stats.damagedBytes };
      } catch (error) {
        if (!(error instanceof CaptureError)) throw error;
        streamed = { code: error.code, datagrams, frames: error.stats?.frames ?? 0, damagedRegions: error.stats?.damagedRegions ?? 0, damagedBytes: error.stats?.damagedBytes ?? 0 };
      }
      expect(streamed).toEqual(whole);
    }
    console.log('recovering reads over 600 mutated captures:', counts);
    expect(counts.damaged).toBeGreaterThan(50);
    expect(counts.better).toBeGreaterThan(50);
  });
});
