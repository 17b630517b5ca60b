import { describe, expect, it } from 'vitest';
import { buildUdpFrame, concatBytes, LinkType, writePcapng } from '../../../src/media/pcap/index.js';
import type { PcapngRecord } from '../../../src/media/pcap/index.js';
import { parseAll } from './helpers.js';

const payload = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

function udp(linkType: number, fill: number, srcPort = 4000, length = 20): Uint8Array {
  return buildUdpFrame({ linkType, src: '192.0.2.1', dst: '192.0.2.2', srcPort, dstPort: 5000, payload: payload(length, fill) });
}

describe('pcapng blocks', () => {
  it('reads several interfaces with different link types and resolutions, interleaved', () => {
    const interfaces = [
      { linkType: LinkType.ETHERNET },
      { linkType: LinkType.LINUX_SLL, resolution: { base: 10, exponent: 9 } as const },
      { linkType: LinkType.RAW, resolution: { base: 2, exponent: 16 } as const },
      { linkType: LinkType.NULL, resolution: { base: 10, exponent: 1 } as const, offsetSeconds: 1_000_000 },
    ];
    const records: PcapngRecord[] = [
      { data: udp(LinkType.ETHERNET, 1), time: { seconds: 1_700_000_000, nanoseconds: 250_000_000 }, interfaceId: 0 },
      { data: udp(LinkType.LINUX_SLL, 2), time: { seconds: 1_700_000_001, nanoseconds: 123_456_789 }, interfaceId: 1 },
      { data: udp(LinkType.RAW, 3), time: { seconds: 1_700_000_002, nanoseconds: 500_000_000 }, interfaceId: 2 },
      { data: udp(LinkType.NULL, 4), time: { seconds: 1_700_000_003, nanoseconds: 700_000_000 }, interfaceId: 3 },
      { data: udp(LinkType.LINUX_SLL, 5), time: { seconds: 1_700_000_004, nanoseconds: 1 }, interfaceId: 1 },
    ];
    const { stats, datagrams } = parseAll(writePcapng(records, { interfaces }));
    expect(datagrams.map((d) => [d.payload[0], d.seconds, d.nanoseconds])).toEqual([
      [1, 1_700_000_000, 250_000_000],
      [2, 1_700_000_001, 123_456_789],
      [3, 1_700_000_002, 500_000_000],
      [4, 1_700_000_003, 700_000_000],
      [5, 1_700_000_004, 1],
    ]);
    expect(datagrams[2]!.time).toBe(1_700_000_002.5);
    expect(stats.linkTypes).toEqual([LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.RAW, LinkType.NULL]);
    expect(stats.format).toBe('pcapng');
  });

  it('reads several sections of different byte orders; interface numbers restart per section', () => {
    const first = writePcapng(
      [
        { data: udp(LinkType.ETHERNET, 1), time: 1000 },
        { data: udp(LinkType.RAW, 2), time: 1001, interfaceId: 1 },
      ],
      { byteOrder: 'little', interfaces: [{ linkType: LinkType.ETHERNET }, { linkType: LinkType.RAW }] },
    );
    const second = writePcapng(
      [{ data: udp(LinkType.LINUX_SLL2, 3), time: { seconds: 1002, nanoseconds: 5 } }],
      { byteOrder: 'big', interfaces: [{ linkType: LinkType.LINUX_SLL2, resolution: { base: 10, exponent: 9 } }] },
    );
    const third = writePcapng([{ data: udp(LinkType.ETHERNET, 4), time: 1003 }], { interfaces: [{ linkType: LinkType.ETHERNET }] });
    const { stats, datagrams } = parseAll(concatBytes([first, second, third]));
    expect(datagrams.map((d) => [d.frame, d.payload[0], d.seconds, d.nanoseconds])).toEqual([
      [1, 1, 1000, 0],
      [2, 2, 1001, 0],
      [3, 3, 1002, 5],
      [4, 4, 1003, 0],
    ]);
    expect(stats.linkTypes).toEqual([LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL2]);
  });

  it('Simple Packet Blocks use interface 0 and the time of the packet before them; Obsolete Packet Blocks are read', () => {
    for (const byteOrder of ['little', 'big'] as const) {
      const records: PcapngRecord[] = [
        { data: udp(LinkType.ETHERNET, 7, 4000, 3), time: { seconds: 50, nanoseconds: 0 }, block: 'simple' },
        { data: udp(LinkType.ETHERNET, 1), time: { seconds: 100, nanoseconds: 200_000 }, comment: 'first' },
        { data: udp(LinkType.ETHERNET, 2, 4000, 5), time: 999, block: 'simple' },
        { data: udp(LinkType.RAW, 3), time: { seconds: 101, nanoseconds: 300_000 }, block: 'obsolete', interfaceId: 1 },
        { data: udp(LinkType.ETHERNET, 4, 4000, 6), time: 999, block: 'simple' },
      ];
      const { stats, datagrams } = parseAll(
        writePcapng(records, { byteOrder, interfaces: [{ linkType: LinkType.ETHERNET }, { linkType: LinkType.RAW }] }),
      );
      expect(datagrams.map((d) => [d.frame, d.payload.length, d.payload[0], d.seconds, d.nanoseconds])).toEqual([
        // Nothing before the first simple packet: time 0.
        [1, 3, 7, 0, 0],
        [2, 20, 1, 100, 200_000],
        [3, 5, 2, 100, 200_000],
        [4, 20, 3, 101, 300_000],
        [5, 6, 4, 101, 300_000],
      ]);
      expect(stats.frames).toBe(5);
    }
  });

  it('skips unknown and uninteresting blocks by their length', () => {
    const records: PcapngRecord[] = [
      { blockType: 4, body: Uint8Array.of(0, 0, 0, 0) }, // name resolution: end of records
      { data: udp(LinkType.ETHERNET, 1), time: 1 },
      { blockType: 5, body: new Uint8Array(12) }, // interface statistics
      { blockType: 0x00000bad, body: new Uint8Array(37).fill(0xff) }, // custom block, odd body (padded)
      { blockType: 0x12345678, body: new Uint8Array(0) },
      { data: udp(LinkType.ETHERNET, 2), time: 2 },
      { blockType: 0x0000000a, body: new Uint8Array(64).fill(0x0a) }, // decryption secrets
    ];
    const { stats, datagrams } = parseAll(writePcapng(records, { interfaces: [{ linkType: LinkType.ETHERNET }] }));
    expect(datagrams.map((d) => [d.frame, d.payload[0]])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(stats.frames).toBe(2);
  });

  it('honours a per-interface snap length in Simple Packet Blocks', () => {
    // A snap length of 64 cuts a 20-byte-payload frame (62 bytes) not at all, and a 200-byte one short.
    const records: PcapngRecord[] = [
      { data: udp(LinkType.ETHERNET, 1), time: 1, block: 'simple' },
      { data: udp(LinkType.ETHERNET, 2, 4000, 200), time: 1, block: 'simple' },
    ];
    const { stats, datagrams } = parseAll(writePcapng(records, { interfaces: [{ linkType: LinkType.ETHERNET, snapLength: 64 }] }));
    expect(datagrams.map((d) => d.payload[0])).toEqual([1]);
    expect(stats).toMatchObject({ frames: 2, udpDatagrams: 1, snapTruncatedDatagrams: 1, skippedFrames: 1 });
  });

  it('splits 64-bit timestamps exactly at very fine resolutions (picoseconds, 2^-40) and far-future times', () => {
    const cases = [
      // 64 bits of picoseconds cover only 213 days from the epoch (the interface's if_tsoffset moves that window).
      { resolution: { base: 10, exponent: 12 } as const, seconds: 18_000_000, nanoseconds: 987_654_321 },
      { resolution: { base: 10, exponent: 11 } as const, seconds: 180_000_000, nanoseconds: 1 },
      { resolution: { base: 2, exponent: 40 } as const, seconds: 16_000_000, nanoseconds: 500_000_000 },
      { resolution: { base: 2, exponent: 31 } as const, seconds: 1_700_000_000, nanoseconds: 250_000_000 },
      { resolution: { base: 10, exponent: 9 } as const, seconds: 18_000_000_000, nanoseconds: 999_999_999 },
      { resolution: { base: 10, exponent: 6 } as const, seconds: 4_294_967_296 * 1000, nanoseconds: 5000 },
    ];
    for (const { resolution, seconds, nanoseconds } of cases) {
      const data = writePcapng([{ data: udp(LinkType.RAW, 1), time: { seconds, nanoseconds } }], { interfaces: [{ linkType: LinkType.RAW, resolution }] });
      const { datagrams } = parseAll(data);
      expect([datagrams[0]!.seconds, datagrams[0]!.nanoseconds]).toEqual([seconds, nanoseconds]);
    }
    const tooLate = { data: udp(LinkType.RAW, 1), time: { seconds: 1_700_000_000, nanoseconds: 0 } };
    expect(() => writePcapng([tooLate], { interfaces: [{ linkType: LinkType.RAW, resolution: { base: 10, exponent: 12 } }] })).toThrow(RangeError);
    // With if_tsoffset the same instant fits.
    const shifted = writePcapng([tooLate], { interfaces: [{ linkType: LinkType.RAW, resolution: { base: 10, exponent: 12 }, offsetSeconds: 1_699_000_000 }] });
    expect(parseAll(shifted).datagrams[0]!.seconds).toBe(1_700_000_000);
  });

  it('applies if_tsoffset, negative included', () => {
    const data = writePcapng([{ data: udp(LinkType.RAW, 1), time: { seconds: 1_000, nanoseconds: 0 } }], {
      interfaces: [{ linkType: LinkType.RAW, offsetSeconds: -1_000_000 }],
    });
    expect(parseAll(data).datagrams[0]!.seconds).toBe(1_000);
  });
});
