import { describe, expect, it } from 'vitest';
import { buildUdpFrame, LinkType, writePcap, writePcapng } from '../../../src/media/pcap/index.js';
import type { CaptureFrame, FrameTime, LinkOptions, PcapOptions, TimestampResolution } from '../../../src/media/pcap/index.js';
import { mulberry32, parseAll, plain, randomBytes, randomInt } from './helpers.js';
import type { SeenDatagram } from './helpers.js';

/** Every link layer the reader supports, with the IP families it can carry. */
const LINKS: ReadonlyArray<{ name: string; link: LinkOptions; families: ReadonlyArray<4 | 6> }> = [
  { name: 'Ethernet', link: { linkType: LinkType.ETHERNET }, families: [4, 6] },
  { name: 'Ethernet 802.1Q', link: { linkType: LinkType.ETHERNET, vlanTags: [100] }, families: [4, 6] },
  {
    name: 'Ethernet QinQ 88a8+8100',
    link: { linkType: LinkType.ETHERNET, vlanTags: [{ id: 10, tpid: 0x88a8 }, { id: 20, priority: 5 }] },
    families: [4, 6],
  },
  {
    name: 'Ethernet 9100+9100+8100',
    link: { linkType: LinkType.ETHERNET, vlanTags: [{ id: 1, tpid: 0x9100 }, { id: 2, tpid: 0x9100 }, 3] },
    families: [4],
  },
  { name: 'Linux SLL', link: { linkType: LinkType.LINUX_SLL }, families: [4, 6] },
  { name: 'Linux SLL with VLAN', link: { linkType: LinkType.LINUX_SLL, vlanTags: [7] }, families: [4] },
  { name: 'Linux SLL2', link: { linkType: LinkType.LINUX_SLL2, sllPacketType: 4 }, families: [4, 6] },
  { name: 'raw IP (101)', link: { linkType: LinkType.RAW }, families: [4, 6] },
  { name: 'raw IP (12)', link: { linkType: LinkType.RAW_12 }, families: [4, 6] },
  { name: 'raw IP (14)', link: { linkType: LinkType.RAW_14 }, families: [4, 6] },
  { name: 'IPv4 (228)', link: { linkType: LinkType.IPV4 }, families: [4] },
  { name: 'IPv6 (229)', link: { linkType: LinkType.IPV6 }, families: [6] },
  { name: 'BSD null, little-endian family', link: { linkType: LinkType.NULL, loopbackByteOrder: 'little' }, families: [4, 6] },
  { name: 'BSD null, big-endian family', link: { linkType: LinkType.NULL, loopbackByteOrder: 'big' }, families: [4, 6] },
  { name: 'BSD null, AF_INET6=24', link: { linkType: LinkType.NULL, inet6Family: 24 }, families: [6] },
  { name: 'BSD null, AF_INET6=28 big-endian', link: { linkType: LinkType.NULL, inet6Family: 28, loopbackByteOrder: 'big' }, families: [6] },
  { name: 'OpenBSD loop', link: { linkType: LinkType.LOOP }, families: [4, 6] },
];

interface Format {
  readonly name: string;
  /** Make a time the format represents exactly, and what the reader must report for it. */
  readonly time: (rng: () => number) => { written: FrameTime; seconds: number; nanoseconds: number; time: number };
  readonly write: (frames: CaptureFrame[], linkType: number) => Uint8Array;
}

function decimalTime(exponent: number) {
  return (rng: () => number) => {
    const seconds = 1_600_000_000 + randomInt(rng, 200_000_000);
    const units = randomInt(rng, 10 ** exponent);
    const nanoseconds = units * 10 ** (9 - exponent);
    return { written: { seconds, nanoseconds }, seconds, nanoseconds, time: seconds + units / 10 ** exponent };
  };
}

function binaryTime(exponent: number) {
  return (rng: () => number) => {
    const seconds = 1_600_000_000 + randomInt(rng, 200_000_000);
    // The writer takes nanoseconds and rounds them to the nearest 2^-exponent unit; the reader reports that unit exactly.
    const written = randomInt(rng, 1e9);
    const perSecond = 1n << BigInt(exponent);
    const units = (BigInt(written) * perSecond + 500_000_000n) / 1_000_000_000n;
    return {
      written: { seconds, nanoseconds: written },
      seconds,
      nanoseconds: Number((units * 1_000_000_000n) / perSecond),
      time: seconds + Number(units) / 2 ** exponent,
    };
  };
}

function pcapFormat(byteOrder: 'little' | 'big', resolution: 'micro' | 'nano', modified = false): Format {
  const options = (linkType: number): PcapOptions => ({ linkType, byteOrder, resolution, modified });
  return {
    name: `pcap ${byteOrder}-endian ${resolution}${modified ? ' (modified)' : ''}`,
    time: decimalTime(resolution === 'nano' ? 9 : 6),
    write: (frames, linkType) => writePcap(frames, options(linkType)),
  };
}

function pcapngFormat(byteOrder: 'little' | 'big', resolution: TimestampResolution): Format {
  return {
    name: `pcapng ${byteOrder}-endian tsresol ${resolution.base}^-${resolution.exponent}`,
    time: resolution.base === 10 ? decimalTime(resolution.exponent) : binaryTime(resolution.exponent),
    write: (frames, linkType) => writePcapng(frames, { byteOrder, interfaces: [{ linkType, resolution }] }),
  };
}

const FORMATS: Format[] = [
  pcapFormat('little', 'micro'),
  pcapFormat('big', 'micro'),
  pcapFormat('little', 'nano'),
  pcapFormat('big', 'nano'),
  pcapFormat('little', 'micro', true),
  pcapFormat('big', 'micro', true),
  ...(['little', 'big'] as const).flatMap((order) => [
    pcapngFormat(order, { base: 10, exponent: 6 }),
    pcapngFormat(order, { base: 10, exponent: 9 }),
    pcapngFormat(order, { base: 10, exponent: 3 }),
    pcapngFormat(order, { base: 10, exponent: 0 }),
    pcapngFormat(order, { base: 2, exponent: 20 }),
    pcapngFormat(order, { base: 2, exponent: 30 }),
  ]),
];

const ADDRESSES = {
  4: [
    ['192.0.2.10', '198.51.100.20'],
    ['10.1.2.3', '172.16.254.1'],
  ],
  6: [
    ['2001:db8::10', '2001:db8:0:1::20'],
    ['fe80::1:2:3:4', '::ffff:192.0.2.1'],
  ],
} as const;

describe('round trip through the writer: every format × byte order × resolution × link type', () => {
  for (const format of FORMATS) {
    for (const { name, link, families } of LINKS) {
      it(`${format.name}, ${name}`, () => {
        const rng = mulberry32(format.name.length * 1000 + name.length);
        const frames: CaptureFrame[] = [];
        const expected: SeenDatagram[] = [];
        for (let i = 0; i < 12; i++) {
          const family = families[i % families.length]!;
          const [src, dst] = ADDRESSES[family][randomInt(rng, 2)]!;
          const srcPort = 1024 + randomInt(rng, 60000);
          const dstPort = 1024 + randomInt(rng, 60000);
          // Sizes include 0 (empty datagram) and odd lengths (padding in pcapng, UDP checksum tail byte).
          const payload = randomBytes(rng, i === 0 ? 0 : randomInt(rng, 400) + 1);
          const time = format.time(rng);
          frames.push({ data: buildUdpFrame({ ...link, src, dst, srcPort, dstPort, payload }), time: time.written });
          expected.push({
            frame: i + 1,
            time: time.time,
            seconds: time.seconds,
            nanoseconds: time.nanoseconds,
            src,
            srcPort,
            dst,
            dstPort,
            payload: Buffer.from(payload).toString('hex'),
          });
        }
        const { stats, datagrams } = parseAll(format.write(frames, link.linkType));
        expect(datagrams.map(plain)).toEqual(expected);
        expect(stats).toMatchObject({ frames: 12, udpDatagrams: 12, skippedFrames: 0, incompleteFragments: 0, linkTypes: [link.linkType] });
      });
    }
  }
});
