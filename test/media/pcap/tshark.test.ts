/**
 * Cross-checks against Wireshark's tools (nobody here wrote them): tshark must read our writer's captures as we do,
 * and our reader must read editcap's conversions (pcapng, nanosecond pcap) as it reads the originals.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildIpv4Packet,
  buildUdpFrame,
  buildUdpPacket,
  concatBytes,
  fragmentIpv4,
  LinkType,
  readCapture,
  wrapInLinkLayer,
  writePcap,
  writePcapng,
} from '../../../src/media/pcap/index.js';
import type { CaptureFrame, LinkOptions, PcapngRecord, UdpDatagram } from '../../../src/media/pcap/index.js';
import { requireTool } from '../../helpers/tools.js';
import { mulberry32, parseAll, plain, randomBytes, randomInt } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pcap-tshark-'));
/** editcap without holding the test worker's event loop (Wireshark's tools take seconds to start on a loaded machine). */
const editcap = (args: string[]): Promise<unknown> => promisify(execFile)('editcap', args);
beforeAll(() => {
  requireTool('tshark');
  requireTool('editcap');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface TsharkRow {
  frame: number;
  srcPort: number;
  dstPort: number;
  /** UDP length field: header + payload. */
  udpLength: number;
  time: string;
  src: string;
  payloadHex: string;
}

/** tshark's per-frame fields; rows without UDP are kept so the frame count can be compared too. */
function tsharkRows(path: string): TsharkRow[] {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', path, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'udp.length', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'udp.payload'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 },
  );
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'))
    .map((f) => ({
      frame: Number(f[0]),
      srcPort: f[1] === '' ? -1 : Number(f[1]),
      dstPort: Number(f[2]),
      udpLength: Number(f[3]),
      time: f[4]!,
      src: f[5] || f[6]!,
      payloadHex: (f[7] ?? '').replaceAll(':', ''),
    }));
}

function tsharkUdpRows(path: string): { frames: number; rows: TsharkRow[] } {
  const all = tsharkRows(path);
  return { frames: all.length, rows: all.filter((row) => row.srcPort >= 0) };
}

function epochText(d: UdpDatagram): string {
  return `${d.seconds}.${String(d.nanoseconds).padStart(9, '0')}`;
}

function asRow(d: UdpDatagram): Omit<TsharkRow, 'frame' | 'time'> {
  return { srcPort: d.srcPort, dstPort: d.dstPort, udpLength: d.payload.length + 8, src: d.src, payloadHex: Buffer.from(d.payload).toString('hex') };
}

const byContent = (a: Omit<TsharkRow, 'frame' | 'time'>, b: Omit<TsharkRow, 'frame' | 'time'>): number =>
  `${a.srcPort} ${a.dstPort} ${a.payloadHex}`.localeCompare(`${b.srcPort} ${b.dstPort} ${b.payloadHex}`);

/** A call-like capture on one link: datagrams of both families, a fragmented datagram, ARP and TCP frames. */
function traffic(seed: number, link: LinkOptions, families: ReadonlyArray<4 | 6>): CaptureFrame[] {
  const rng = mulberry32(seed);
  const frames: CaptureFrame[] = [];
  const base = 1_700_000_000 + randomInt(rng, 1_000_000);
  for (let i = 0; i < 40; i++) {
    const time = { seconds: base + Math.floor(i / 10), nanoseconds: randomInt(rng, 1_000_000) * 1000 };
    const family = families[randomInt(rng, families.length)]!;
    const [src, dst] = family === 4 ? ['172.16.0.5', '172.16.0.9'] : ['2001:db8:1::5', '2001:db8:1::9'];
    // Ports above 49152 that no dissector claims, so tshark leaves the payload as data.
    const ports = { srcPort: 50000 + randomInt(rng, 10000), dstPort: 50000 + randomInt(rng, 10000) };
    if (i === 10 && link.linkType === LinkType.ETHERNET) {
      frames.push({ data: wrapInLinkLayer(randomBytes(rng, 28), { ...link, etherType: 0x0806 }), time });
    } else if (i === 20 && family === 4) {
      frames.push({ data: wrapInLinkLayer(buildIpv4Packet({ src, dst, protocol: 6, payload: randomBytes(rng, 40) }), link), time });
    } else if (i === 30 && family === 4) {
      const packet = buildUdpPacket({ src, dst, ...ports, payload: randomBytes(rng, 2500), ipId: 4242 });
      for (const fragment of fragmentIpv4(packet, 1200)) frames.push({ data: wrapInLinkLayer(fragment, link), time });
    } else {
      frames.push({ data: buildUdpFrame({ ...link, src, dst, ...ports, payload: randomBytes(rng, randomInt(rng, 300)) }), time });
    }
  }
  return frames;
}

/** tshark's view and ours of the same file must agree on count, ports, lengths, addresses, payload bytes and times. */
function expectAgreement(path: string, datagrams: UdpDatagram[], frames: number, reassembled: number): void {
  const { frames: tsharkFrames, rows } = tsharkUdpRows(path);
  expect(tsharkFrames).toBe(frames);
  expect(datagrams.length).toBe(rows.length);
  expect(datagrams.map(asRow).sort(byContent)).toEqual(rows.map(({ frame: _f, time: _t, ...rest }) => rest).sort(byContent));
  // Unfragmented datagrams: same frame number and the same time to the nanosecond. (tshark dates a reassembled
  // datagram by its last fragment, we by its first.)
  const tsharkByFrame = new Map(rows.map((row) => [row.frame, row]));
  let sameFrame = 0;
  for (const d of datagrams) {
    const row = tsharkByFrame.get(d.frame);
    if (row && row.payloadHex === Buffer.from(d.payload).toString('hex')) {
      expect(epochText(d)).toBe(row.time);
      sameFrame++;
    }
  }
  expect(sameFrame).toBe(datagrams.length - reassembled);
}

const LINKS: ReadonlyArray<{ name: string; link: LinkOptions; families: ReadonlyArray<4 | 6> }> = [
  { name: 'Ethernet', link: { linkType: LinkType.ETHERNET }, families: [4, 6] },
  { name: 'Ethernet 802.1Q', link: { linkType: LinkType.ETHERNET, vlanTags: [42] }, families: [4, 6] },
  { name: 'Ethernet QinQ', link: { linkType: LinkType.ETHERNET, vlanTags: [{ id: 100, tpid: 0x88a8 }, 200] }, families: [4, 6] },
  { name: 'Linux SLL', link: { linkType: LinkType.LINUX_SLL }, families: [4, 6] },
  { name: 'Linux SLL2', link: { linkType: LinkType.LINUX_SLL2 }, families: [4, 6] },
  { name: 'raw IP', link: { linkType: LinkType.RAW }, families: [4, 6] },
  { name: 'IPv4', link: { linkType: LinkType.IPV4 }, families: [4] },
  { name: 'IPv6', link: { linkType: LinkType.IPV6 }, families: [6] },
  { name: 'BSD null', link: { linkType: LinkType.NULL }, families: [4, 6] },
  { name: 'BSD null big-endian', link: { linkType: LinkType.NULL, loopbackByteOrder: 'big', inet6Family: 28 }, families: [4, 6] },
  { name: 'OpenBSD loop', link: { linkType: LinkType.LOOP }, families: [4, 6] },
];

describe('tshark reads our writer output as our reader does', () => {
  for (const [index, { name, link, families }] of LINKS.entries()) {
    it(`${name}: pcap`, () => {
      const frames = traffic(index + 1, link, families);
      const path = join(dir, `link-${index}.pcap`);
      writeFileSync(path, writePcap(frames, { linkType: link.linkType, byteOrder: index % 2 ? 'big' : 'little' }));
      const { stats, datagrams } = parseAll(readFileSync(path), path);
      expect(stats.frames).toBe(frames.length);
      expect(stats.udpDatagrams).toBeGreaterThan(30);
      expectAgreement(path, datagrams, frames.length, stats.reassembledDatagrams);
    });
  }

  it('pcapng with several interfaces, resolutions, byte orders, sections and block kinds', () => {
    const ethernet = traffic(100, { linkType: LinkType.ETHERNET }, [4, 6]);
    const sll = traffic(101, { linkType: LinkType.LINUX_SLL }, [4]);
    const records: PcapngRecord[] = [];
    ethernet.forEach((frame, i) => {
      records.push({ ...frame, interfaceId: 0, ...(i === 5 ? { block: 'obsolete' as const } : {}) });
      if (sll[i]) records.push({ ...sll[i]!, interfaceId: 1, comment: `frame ${i}` });
    });
    const first = writePcapng(records, {
      interfaces: [
        { linkType: LinkType.ETHERNET, resolution: { base: 10, exponent: 9 }, name: 'eth0' },
        { linkType: LinkType.LINUX_SLL, name: 'any' },
      ],
    });
    const second = writePcapng(traffic(102, { linkType: LinkType.RAW }, [4, 6]), {
      byteOrder: 'big',
      interfaces: [{ linkType: LinkType.RAW, resolution: { base: 2, exponent: 20 } }],
    });
    const path = join(dir, 'multi.pcapng');
    writeFileSync(path, concatBytes([first, second]));
    const { stats, datagrams } = parseAll(readFileSync(path), path);
    expect(stats.linkTypes).toEqual([LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.RAW]);
    const { frames: tsharkFrames, rows } = tsharkUdpRows(path);
    expect(tsharkFrames).toBe(stats.frames);
    expect(datagrams.length).toBe(rows.length);
    expect(datagrams.map(asRow).sort(byContent)).toEqual(rows.map(({ frame: _f, time: _t, ...rest }) => rest).sort(byContent));
    // Binary-resolution times are not whole nanoseconds; compare those to the microsecond.
    const tsharkByFrame = new Map(rows.map((row) => [row.frame, row]));
    for (const d of datagrams) {
      const row = tsharkByFrame.get(d.frame);
      if (row && row.payloadHex === Buffer.from(d.payload).toString('hex')) expect(Math.abs(Number(row.time) - d.time)).toBeLessThan(1e-6);
    }
  });
});

describe('our reader reads editcap conversions as it reads the originals', () => {
  const frames = traffic(7, { linkType: LinkType.ETHERNET, vlanTags: [5] }, [4, 6]);
  const original = join(dir, 'original.pcap');
  beforeAll(() => writeFileSync(original, writePcap(frames, { linkType: LinkType.ETHERNET })));

  async function read(path: string): Promise<ReturnType<typeof plain>[]> {
    const datagrams: UdpDatagram[] = [];
    await readCapture(path, (d) => datagrams.push(d), { chunkSize: 4096 });
    return datagrams.map(plain);
  }

  for (const [format, extension] of [
    ['pcapng', 'pcapng'],
    ['nsecpcap', 'ns.pcap'],
    ['pcap', 'copy.pcap'],
  ] as const) {
    it(`editcap -F ${format}`, async () => {
      const converted = join(dir, `converted.${extension}`);
      await editcap(['-F', format, original, converted]);
      const expected = await read(original);
      expect(expected.length).toBeGreaterThan(30);
      const got = await read(converted);
      expect(got).toEqual(expected);
      expect(readFileSync(converted).equals(readFileSync(original))).toBe(format === 'pcap');
    });
  }

  it('editcap -F pcapng of a nanosecond capture keeps nanoseconds (if_tsresol 9)', async () => {
    const nano = join(dir, 'nano.pcap');
    const nanoFrames = frames.map((f, i) => ({ ...f, time: { seconds: 1_700_000_000 + i, nanoseconds: 123_456_789 + i } }));
    writeFileSync(nano, writePcap(nanoFrames, { linkType: LinkType.ETHERNET, resolution: 'nano', byteOrder: 'big' }));
    const converted = join(dir, 'nano.pcapng');
    await editcap(['-F', 'pcapng', nano, converted]);
    const expected = await read(nano);
    expect(await read(converted)).toEqual(expected);
    expect(expected.some((d) => d.nanoseconds! % 1000 !== 0)).toBe(true);
  });

  it('editcap -s (snap length) cut datagrams are skipped and counted', async () => {
    const cut = join(dir, 'snap.pcap');
    await editcap(['-s', '100', original, cut]);
    const datagrams: UdpDatagram[] = [];
    const stats = await readCapture(cut, (d) => datagrams.push(d));
    const whole = parseAll(readFileSync(original));
    // Every datagram whose frame fitted in 100 bytes is delivered, every longer one is counted as cut.
    const fitting = whole.datagrams.filter((d) => d.payload.length + 8 + (d.src.includes(':') ? 40 : 20) + 18 <= 100).length;
    expect(datagrams.length).toBe(fitting);
    expect(stats.snapTruncatedDatagrams).toBeGreaterThan(0);
    expect(stats.udpDatagrams + stats.snapTruncatedDatagrams).toBeGreaterThanOrEqual(whole.stats.udpDatagrams - whole.stats.reassembledDatagrams);
  });
});
