import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildUdpFrame,
  buildUdpPacket,
  CaptureError,
  concatBytes,
  detectCaptureFormat,
  fragmentIpv4,
  LinkType,
  parseCapture,
  PcapFileWriter,
  readCapture,
  wrapInLinkLayer,
  writePcap,
  writePcapng,
} from '../../../src/media/pcap/index.js';
import type { CaptureFrame, CaptureStats, UdpDatagram } from '../../../src/media/pcap/index.js';
import { mulberry32, parseAll, plain, randomBytes, randomInt, thrown } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pcap-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A mixed call-like capture: RTP-sized datagrams both ways, a jumbo datagram, fragments, non-UDP frames. */
function mixedFrames(seed: number, count: number): CaptureFrame[] {
  const rng = mulberry32(seed);
  const frames: CaptureFrame[] = [];
  for (let i = 0; i < count; i++) {
    const time = { seconds: 1_700_000_000 + Math.floor(i / 50), nanoseconds: (i % 50) * 20_000_000 };
    const kind = randomInt(rng, 20);
    if (kind === 0) {
      frames.push({ data: wrapInLinkLayer(randomBytes(rng, 28), { linkType: LinkType.ETHERNET, etherType: 0x0806 }), time });
    } else if (kind === 1) {
      const packet = buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5060, dstPort: 5060, payload: randomBytes(rng, 3000), ipId: i });
      for (const fragment of fragmentIpv4(packet, 1400)) frames.push({ data: wrapInLinkLayer(fragment, { linkType: LinkType.ETHERNET }), time });
    } else if (kind === 2) {
      frames.push({
        data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: '2001:db8::1', dst: '2001:db8::2', srcPort: 40000, dstPort: 40002, payload: randomBytes(rng, 9000) }),
        time,
      });
    } else {
      const forward = randomInt(rng, 2) === 0;
      frames.push({
        data: buildUdpFrame({
          linkType: LinkType.ETHERNET,
          vlanTags: [20],
          src: forward ? '10.0.0.1' : '10.0.0.2',
          dst: forward ? '10.0.0.2' : '10.0.0.1',
          srcPort: forward ? 16384 : 16386,
          dstPort: forward ? 16386 : 16384,
          payload: randomBytes(rng, 12 + 160),
        }),
        time,
      });
    }
  }
  return frames;
}

const PCAP = writePcap(mixedFrames(1, 240), { linkType: LinkType.ETHERNET, resolution: 'nano', byteOrder: 'big' });
const PCAPNG = concatBytes([
  writePcapng(mixedFrames(2, 120), { interfaces: [{ linkType: LinkType.ETHERNET }] }),
  writePcapng(mixedFrames(3, 120), { byteOrder: 'big', interfaces: [{ linkType: LinkType.ETHERNET, resolution: { base: 10, exponent: 9 } }] }),
]);

function exactSeconds(frame: CaptureFrame): number {
  return typeof frame.time === 'number' ? Math.floor(frame.time) : frame.time.seconds;
}

async function readAll(path: string, chunkSize?: number): Promise<{ stats: CaptureStats; datagrams: UdpDatagram[] }> {
  const datagrams: UdpDatagram[] = [];
  const stats = await readCapture(path, (d) => datagrams.push(d), chunkSize === undefined ? {} : { chunkSize });
  return { stats, datagrams };
}

async function rejection(promise: Promise<unknown>): Promise<CaptureError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CaptureError);
    return error as CaptureError;
  }
  throw new Error('expected a rejection');
}

describe('readCapture streaming', () => {
  for (const [name, data] of [
    ['pcap', PCAP],
    ['pcapng (two sections)', PCAPNG],
  ] as const) {
    it(`${name}: every chunk size gives exactly what parseCapture gives, and payload views stay valid`, async () => {
      const path = join(dir, `mixed-${name.slice(0, 6)}`);
      writeFileSync(path, data);
      const whole = parseAll(data, path);
      expect(whole.stats.udpDatagrams).toBeGreaterThan(200);
      expect(whole.stats.reassembledDatagrams).toBeGreaterThan(5);
      const expected = whole.datagrams.map(plain);
      const progress: number[] = [];
      await readCapture(path, () => {}, { chunkSize: 4096, onProgress: (bytes) => progress.push(bytes) });
      expect(progress.length).toBe(Math.ceil(data.length / 4096));
      expect(progress.at(-1)).toBe(data.length);
      expect(progress.every((bytes, i) => i === 0 || bytes > progress[i - 1]!)).toBe(true);
      for (const chunkSize of [1, 2, 3, 7, 13, 64, 1000, 4096, 65536, undefined]) {
        const streamed = await readAll(path, chunkSize);
        // Compared after the whole read: a reused buffer would have overwritten earlier payloads by now.
        expect(streamed.datagrams.map(plain)).toEqual(expected);
        expect(streamed.stats).toEqual(whole.stats);
      }
    });

    it(`${name}: with reused buffers, what each callback sees is exact, and views kept past it are overwritten (so consumers must copy)`, async () => {
      const path = join(dir, `reuse-${name.slice(0, 6)}`);
      writeFileSync(path, data);
      const expected = parseAll(data, path).datagrams.map(plain);
      for (const chunkSize of [1, 7, 64, 1000, 4096, 65536, undefined]) {
        const seen: ReturnType<typeof plain>[] = [];
        const kept: UdpDatagram[] = [];
        const stats = await readCapture(
          path,
          (d) => {
            seen.push(plain(d));
            kept.push(d);
          },
          { reuseBuffers: true, ...(chunkSize === undefined ? {} : { chunkSize }) },
        );
        expect(seen).toEqual(expected);
        expect(stats).toEqual(parseAll(data, path).stats);
        // The buffers took turns: with chunks that hold whole records but not the file, payloads kept as views
        // changed under them. (Records longer than a chunk are joined in buffers of their own.)
        if (chunkSize === 1000 || chunkSize === 4096) expect(kept.map(plain)).not.toEqual(expected);
      }
    });
  }

  it('a truncated capture delivers every datagram before the cut, then TRUNCATED with the frames read', async () => {
    const frames = mixedFrames(4, 60).filter((f) => f.data.length < 1000);
    for (const [format, data] of [
      ['pcap', writePcap(frames, { linkType: LinkType.ETHERNET })],
      ['pcapng', writePcapng(frames, { interfaces: [{ linkType: LinkType.ETHERNET }] })],
    ] as const) {
      const all = parseAll(data).datagrams;
      // 70 % of the file: almost surely inside a record (the assertions below check that it was).
      const truncated = data.subarray(0, Math.floor(data.length * 0.7));
      const seen: UdpDatagram[] = [];
      const syncError = thrown(() => parseCapture(truncated, `cut.${format}`, (d) => seen.push(d)));
      expect(syncError).toBeInstanceOf(CaptureError);
      const error = syncError as CaptureError;
      expect(error.code).toBe('TRUNCATED');
      expect(error.stats!.frames).toBeGreaterThan(0);
      expect(error.message).toContain(`after ${error.stats!.frames} complete frames`);
      expect(error.message).toContain(`cut.${format}`);
      expect(seen.length).toBe(error.stats!.udpDatagrams);
      expect(seen.map(plain)).toEqual(all.slice(0, seen.length).map(plain));
      expect(seen.length).toBeGreaterThan(all.length / 2);

      const path = join(dir, `cut.${format}`);
      writeFileSync(path, truncated);
      for (const chunkSize of [5, 1 << 20]) {
        const streamed: UdpDatagram[] = [];
        const streamError = await rejection(readCapture(path, (d) => streamed.push(d), { chunkSize }));
        expect(streamError.code).toBe('TRUNCATED');
        expect(streamError.stats).toEqual(error.stats);
        expect(streamed.map(plain)).toEqual(seen.map(plain));
      }
    }
  });

  it('names the problem: EMPTY, NOT_A_CAPTURE with the magic, TRUNCATED header, IO for a missing file', async () => {
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, new Uint8Array(0));
    expect((await rejection(readAll(empty))).code).toBe('EMPTY');
    expect((thrown(() => parseCapture(new Uint8Array(0), 'e', () => {})) as CaptureError).code).toBe('EMPTY');

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello, this is not a capture\n');
    const notCapture = await rejection(readAll(text));
    expect(notCapture.code).toBe('NOT_A_CAPTURE');
    expect(notCapture.message).toBe(`${text}: not a pcap or pcapng file (magic 0x68656c6c) (at byte 0)`);
    expect((thrown(() => parseCapture(Uint8Array.of(1, 2), 'two', () => {})) as CaptureError).code).toBe('NOT_A_CAPTURE');

    const header = writePcap([], { linkType: LinkType.ETHERNET }).subarray(0, 10);
    expect((thrown(() => parseCapture(header, 'h', () => {})) as CaptureError).code).toBe('TRUNCATED');
    expect(parseCapture(writePcap([], { linkType: 1 }), 'h', () => {})).toMatchObject({ frames: 0, format: 'pcap' });

    const missing = await rejection(readAll(join(dir, 'no-such-file.pcap')));
    expect(missing.code).toBe('IO');
    expect(missing.message).toContain('no-such-file.pcap');
  });

  it('rejects garbage block lengths as BAD_BLOCK naming the offset', () => {
    const frame = { data: buildUdpFrame({ linkType: 1, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: new Uint8Array(4) }), time: 1 };
    const ng = writePcapng([frame, frame], { interfaces: [{ linkType: 1 }] });
    // Section header 28 bytes, interface description 20, then the first packet block.
    const firstPacket = 48;
    const view = (data: Uint8Array): DataView => new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (const [length, what] of [
      [0, 'invalid length 0'],
      [8, 'invalid length 8'],
      [50, 'invalid length 50'],
      [0x7ffffffc, 'invalid length 2147483644'],
      [0xfffffff0, 'invalid length 4294967280'],
      [4 + 8 + 4 * 4, 'trailing length'],
    ] as const) {
      const copy = ng.slice();
      view(copy).setUint32(firstPacket + 4, length, true);
      const error = thrown(() => parseCapture(copy, 'bad.pcapng', () => {})) as CaptureError;
      expect(error.code).toBe('BAD_BLOCK');
      expect(error.offset).toBe(firstPacket);
      expect(error.reason).toContain(what);
    }
    const badInterface = ng.slice();
    view(badInterface).setUint32(firstPacket + 8, 3, true);
    expect((thrown(() => parseCapture(badInterface, 'x', () => {})) as CaptureError).reason).toContain('interface 3');
    const badCaptured = ng.slice();
    view(badCaptured).setUint32(firstPacket + 20, 4000, true);
    expect((thrown(() => parseCapture(badCaptured, 'x', () => {})) as CaptureError).code).toBe('BAD_BLOCK');

    const pcap = writePcap([frame, frame], { linkType: 1 });
    view(pcap).setUint32(24 + 8, 0x20000000, true);
    const error = thrown(() => parseCapture(pcap, 'huge.pcap', () => {})) as CaptureError;
    expect(error.code).toBe('BAD_BLOCK');
    expect(error.offset).toBe(24);
  });

  it('detectCaptureFormat recognises every magic and nothing else', () => {
    expect(detectCaptureFormat(writePcap([], { linkType: 1 }))).toBe('pcap');
    expect(detectCaptureFormat(writePcap([], { linkType: 1, byteOrder: 'big', resolution: 'nano' }))).toBe('pcap');
    expect(detectCaptureFormat(writePcapng([], { interfaces: [] }))).toBe('pcapng');
    expect(detectCaptureFormat(writePcapng([], { interfaces: [], byteOrder: 'big' }))).toBe('pcapng');
    expect(detectCaptureFormat(Uint8Array.of(0xa1, 0xb2))).toBeNull();
    expect(detectCaptureFormat(new TextEncoder().encode('RIFF....WAVE'))).toBeNull();
  });

  it('PcapFileWriter appends frames incrementally; the file reads as truncated-free at every flush', async () => {
    for (const format of ['pcap', 'pcapng'] as const) {
      const path = join(dir, `live.${format}`);
      const writer =
        format === 'pcap'
          ? await PcapFileWriter.create(path, { format, linkType: LinkType.LINUX_SLL2, resolution: 'nano' })
          : await PcapFileWriter.create(path, { format, interfaces: [{ linkType: LinkType.LINUX_SLL2, resolution: { base: 10, exponent: 9 } }] });
      expect((await readAll(path)).stats.frames).toBe(0);
      // Each datagram carries a whole generated frame as its payload: varied sizes up to 9 kB.
      const inner = mixedFrames(5, 3000);
      const frames = inner.map((f) => ({
        ...f,
        data: buildUdpFrame({ linkType: LinkType.LINUX_SLL2, src: '10.1.1.1', dst: '10.1.1.2', srcPort: 1000, dstPort: 2000, payload: f.data }),
      }));
      for (let i = 0; i < frames.length; i++) {
        writer.append(frames[i]!);
        if (i === 99) {
          await writer.flush();
          expect((await readAll(path)).stats.udpDatagrams).toBe(100);
        }
      }
      await writer.close();
      expect(writer.framesWritten).toBe(frames.length);
      const { stats, datagrams } = await readAll(path);
      expect(stats.udpDatagrams).toBe(frames.length);
      expect(datagrams.every((d, i) => Buffer.from(d.payload).equals(Buffer.from(inner[i]!.data)))).toBe(true);
      expect(datagrams[1234]!.seconds).toBe(exactSeconds(inner[1234]!));
    }
  });
});

describe('callback errors', () => {
  it('an exception thrown by the callback passes through unchanged and stops the read', async () => {
    const data = writePcap(mixedFrames(6, 20), { linkType: LinkType.ETHERNET });
    const own = new RangeError('consumer failed');
    let calls = 0;
    expect(
      thrown(() =>
        parseCapture(data, 'x', () => {
          calls++;
          throw own;
        }),
      ),
    ).toBe(own);
    expect(calls).toBe(1);
    const path = join(dir, 'callback.pcap');
    writeFileSync(path, data);
    await expect(readCapture(path, () => {
      throw own;
    })).rejects.toBe(own);
    await expect(readCapture(path, () => {}, { chunkSize: 0 })).rejects.toThrow(RangeError);
  });
});
