import { describe, expect, it } from 'vitest';
import { buildUdpPacket, fragmentIpv4, fragmentIpv6, LinkType, wrapInLinkLayer, writePcap } from '../../../src/media/pcap/index.js';
import type { CaptureFrame } from '../../../src/media/pcap/index.js';
import { mulberry32, parseAll, randomBytes } from './helpers.js';

const rng = mulberry32(42);
const BIG = randomBytes(rng, 4000);

function ipv4Datagram(id: number, payload: Uint8Array = BIG, src = '192.0.2.1'): Uint8Array {
  return buildUdpPacket({ src, dst: '192.0.2.2', srcPort: 5060, dstPort: 5062, payload, ipId: id });
}

function capture(packets: Uint8Array[], times?: number[]): Uint8Array {
  const frames: CaptureFrame[] = packets.map((packet, i) => ({
    data: wrapInLinkLayer(packet, { linkType: LinkType.ETHERNET }),
    time: times ? times[i]! : 1000 + i * 0.001,
  }));
  return writePcap(frames, { linkType: LinkType.ETHERNET });
}

describe('IP fragment reassembly', () => {
  it('reassembles an IPv4 datagram in order into the original payload', () => {
    const fragments = fragmentIpv4(ipv4Datagram(7), 1480);
    expect(fragments).toHaveLength(3);
    const { stats, datagrams } = parseAll(capture(fragments));
    expect(datagrams).toHaveLength(1);
    expect(datagrams[0]).toMatchObject({ frame: 1, src: '192.0.2.1', dst: '192.0.2.2', srcPort: 5060, dstPort: 5062 });
    expect(Buffer.from(datagrams[0]!.payload).equals(Buffer.from(BIG))).toBe(true);
    expect(stats).toMatchObject({ frames: 3, udpDatagrams: 1, reassembledDatagrams: 1, incompleteFragments: 0, skippedFrames: 0 });
  });

  it('reassembles fragments arriving out of order (reversed and shuffled), with duplicates', () => {
    const fragments = fragmentIpv4(ipv4Datagram(8), 512);
    expect(fragments.length).toBe(8);
    const shuffled = [fragments[5]!, fragments[0]!, fragments[7]!, fragments[2]!, fragments[2]!, fragments[1]!, fragments[6]!, fragments[3]!, fragments[4]!];
    for (const order of [fragments.slice().reverse(), shuffled]) {
      const { datagrams, stats } = parseAll(capture(order));
      expect(datagrams).toHaveLength(1);
      expect(Buffer.from(datagrams[0]!.payload).equals(Buffer.from(BIG))).toBe(true);
      // The datagram is dated by the first fragment seen.
      expect(datagrams[0]!.frame).toBe(1);
      expect(stats.incompleteFragments).toBe(0);
    }
  });

  it('keeps interleaved datagrams apart by source, destination and identification', () => {
    const a = fragmentIpv4(ipv4Datagram(1, BIG.subarray(0, 3000)), 1000);
    const b = fragmentIpv4(ipv4Datagram(1, BIG.subarray(1000, 3500), '192.0.2.9'), 1000);
    const c = fragmentIpv4(ipv4Datagram(2, BIG.subarray(500, 2600)), 1000);
    const order = [a[0]!, b[0]!, c[2]!, a[1]!, c[0]!, b[1]!, b[2]!, c[1]!, a[2]!, a[3]!];
    const { datagrams } = parseAll(capture(order));
    const byLength = new Map(datagrams.map((d) => [d.payload.length, d]));
    expect(datagrams).toHaveLength(3);
    expect(Buffer.from(byLength.get(3000)!.payload).equals(Buffer.from(BIG.subarray(0, 3000)))).toBe(true);
    expect(Buffer.from(byLength.get(2500)!.payload).equals(Buffer.from(BIG.subarray(1000, 3500)))).toBe(true);
    expect(byLength.get(2500)!.src).toBe('192.0.2.9');
    expect(Buffer.from(byLength.get(2100)!.payload).equals(Buffer.from(BIG.subarray(500, 2600)))).toBe(true);
  });

  it('counts the fragments of a datagram missing a piece as incomplete and delivers nothing for it', () => {
    const fragments = fragmentIpv4(ipv4Datagram(9), 1000);
    const other = buildUdpPacket({ src: '192.0.2.1', dst: '192.0.2.2', srcPort: 1, dstPort: 2, payload: new Uint8Array(10) });
    const { stats, datagrams } = parseAll(capture([fragments[0]!, fragments[1]!, other, fragments[3]!, fragments[4]!]));
    expect(datagrams.map((d) => d.srcPort)).toEqual([1]);
    expect(stats).toMatchObject({ frames: 5, udpDatagrams: 1, incompleteFragments: 4, reassembledDatagrams: 0 });
  });

  it('drops a datagram whose fragments span more than 30 s of capture time', () => {
    const fragments = fragmentIpv4(ipv4Datagram(10), 2000);
    const { stats, datagrams } = parseAll(capture(fragments, [0, 31, 31.5]));
    // The first fragment expires when the second arrives; the second and third cannot complete without it.
    expect(datagrams).toHaveLength(0);
    expect(stats.incompleteFragments).toBe(3);
  });

  it('bounds the table: thousands of never-completed datagrams are all counted and none is delivered', () => {
    const packets: Uint8Array[] = [];
    for (let id = 0; id < 3000; id++) packets.push(fragmentIpv4(ipv4Datagram(id, BIG.subarray(0, 100)), 64)[0]!);
    const complete = fragmentIpv4(ipv4Datagram(60000, BIG.subarray(0, 100)), 64);
    const { stats, datagrams } = parseAll(capture([...packets, ...complete]));
    expect(datagrams).toHaveLength(1);
    expect(stats.incompleteFragments).toBe(3000);
  });

  it('reassembles IPv6 fragments (Fragment extension header), in and out of order', () => {
    const packet = buildUdpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 7078, dstPort: 9078, payload: BIG });
    const fragments = fragmentIpv6(packet, 1232, 0xdeadbeef);
    expect(fragments.length).toBe(4);
    for (const order of [fragments, [fragments[3]!, fragments[1]!, fragments[0]!, fragments[2]!]]) {
      const { stats, datagrams } = parseAll(capture(order));
      expect(datagrams).toHaveLength(1);
      expect(datagrams[0]).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 7078, dstPort: 9078 });
      expect(Buffer.from(datagrams[0]!.payload).equals(Buffer.from(BIG))).toBe(true);
      expect(stats.reassembledDatagrams).toBe(1);
    }
    const missing = parseAll(capture(fragments.slice(1)));
    expect(missing.datagrams).toHaveLength(0);
    expect(missing.stats.incompleteFragments).toBe(3);
  });

  it('drops overlapping garbage: a second "last" fragment with another end', () => {
    const fragments = fragmentIpv4(ipv4Datagram(11), 1480);
    const bogusLast = fragments[2]!.slice(0, fragments[2]!.length - 8);
    bogusLast[2] = (bogusLast.length >> 8) & 0xff;
    bogusLast[3] = bogusLast.length & 0xff;
    const { stats, datagrams } = parseAll(capture([fragments[0]!, fragments[2]!, bogusLast, fragments[1]!]));
    expect(datagrams).toHaveLength(0);
    expect(stats.incompleteFragments).toBe(4);
  });
});
