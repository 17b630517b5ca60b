import { describe, expect, it } from 'vitest';
import {
  buildIpv4Packet,
  buildIpv6Packet,
  buildUdpFrame,
  buildUdpPacket,
  buildUdpSegment,
  concatBytes,
  formatIpv6,
  LinkType,
  parseIpv4,
  parseIpv6,
  wrapInLinkLayer,
  writePcap,
} from '../../../src/media/pcap/index.js';
import type { CaptureFrame } from '../../../src/media/pcap/index.js';
import { parseAll } from './helpers.js';

const PAYLOAD = Uint8Array.of(0x80, 0x08, 0, 1, 2, 3, 4, 5, 6);
const udpSpec = { src: '192.0.2.1', dst: '192.0.2.2', srcPort: 10000, dstPort: 20000, payload: PAYLOAD };

function capture(frames: Uint8Array[], linkType: number = LinkType.ETHERNET): Uint8Array {
  return writePcap(
    frames.map((data, i) => ({ data, time: i })),
    { linkType },
  );
}

describe('link, IP and UDP layers', () => {
  it('skips and counts what is not UDP: ARP, TCP, ICMP, 802.3/LLC, unknown EtherType, unknown link type', () => {
    const arp = wrapInLinkLayer(new Uint8Array(28), { linkType: LinkType.ETHERNET, etherType: 0x0806 });
    const tcp = wrapInLinkLayer(buildIpv4Packet({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 6, payload: new Uint8Array(20) }), {
      linkType: LinkType.ETHERNET,
    });
    const icmp6 = wrapInLinkLayer(buildIpv6Packet({ src: '::1', dst: '::2', nextHeader: 58, payload: new Uint8Array(8) }), {
      linkType: LinkType.ETHERNET,
    });
    const llc = wrapInLinkLayer(new Uint8Array(46), { linkType: LinkType.ETHERNET, etherType: 46 });
    const ok = buildUdpFrame({ ...udpSpec, linkType: LinkType.ETHERNET });
    const { stats, datagrams } = parseAll(capture([arp, tcp, ok, icmp6, llc]));
    expect(datagrams.map((d) => d.frame)).toEqual([3]);
    expect(stats).toMatchObject({ frames: 5, udpDatagrams: 1, skippedFrames: 4 });

    const unknownLink = parseAll(capture([ok, ok], 147));
    expect(unknownLink.stats).toMatchObject({ frames: 2, udpDatagrams: 0, skippedFrames: 2, linkTypes: [147] });
  });

  it('reads IPv4 with options (IHL > 5) and ignores Ethernet padding and trailers after the IP packet', () => {
    const segment = buildUdpSegment(parseIpv4('192.0.2.1'), parseIpv4('192.0.2.2'), 1, 2, PAYLOAD);
    const withOptions = buildIpv4Packet({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, payload: segment, options: Uint8Array.of(1, 1, 1, 0, 7, 3) });
    expect(withOptions[0]! & 15).toBe(7);
    const padded = concatBytes([wrapInLinkLayer(withOptions, { linkType: LinkType.ETHERNET }), new Uint8Array(30).fill(0xee)]);
    const { datagrams } = parseAll(capture([padded]));
    expect(datagrams).toHaveLength(1);
    expect(Array.from(datagrams[0]!.payload)).toEqual(Array.from(PAYLOAD));
  });

  it('walks IPv6 extension headers (hop-by-hop, routing, destination options, atomic fragment) to UDP', () => {
    const frame = buildUdpFrame({
      ...udpSpec,
      src: '2001:db8::1',
      dst: '2001:db8::2',
      linkType: LinkType.ETHERNET,
      ipv6ExtensionHeaders: [{ type: 0 }, { type: 43, body: new Uint8Array(14) }, { type: 44 }, { type: 60 }],
    });
    const { stats, datagrams } = parseAll(capture([frame]));
    expect(stats.udpDatagrams).toBe(1);
    expect(datagrams[0]).toMatchObject({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 10000, dstPort: 20000 });
    expect(Array.from(datagrams[0]!.payload)).toEqual(Array.from(PAYLOAD));
  });

  it('skips malformed packets: bad IP version, IHL < 5, total length short of the header, UDP length too big or < 8, no UDP header', () => {
    const good = buildUdpPacket(udpSpec);
    const variants: Array<(p: Uint8Array) => void> = [
      (p) => (p[0] = 0x55),
      (p) => (p[0] = 0x44),
      (p) => ((p[2] = 0), (p[3] = 10)),
      (p) => ((p[24] = 0xff), (p[25] = 0xff)),
      (p) => ((p[24] = 0), (p[25] = 7)),
    ];
    const frames = variants.map((mutate) => {
      const copy = good.slice();
      mutate(copy);
      return wrapInLinkLayer(copy, { linkType: LinkType.RAW });
    });
    const headerOnly = buildIpv4Packet({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, payload: new Uint8Array(4) });
    frames.push(headerOnly, new Uint8Array(0), new Uint8Array(10));
    const { stats } = parseAll(capture(frames, LinkType.RAW));
    expect(stats).toMatchObject({ frames: 8, udpDatagrams: 0, skippedFrames: 8 });
  });

  it('snap length: a frame cut in its trailer still gives its datagram; a datagram cut short is skipped and counted', () => {
    const small = buildUdpFrame({ ...udpSpec, linkType: LinkType.ETHERNET });
    const large = buildUdpFrame({ ...udpSpec, linkType: LinkType.ETHERNET, payload: new Uint8Array(300).fill(9) });
    const large6 = buildUdpFrame({ ...udpSpec, src: '::1', dst: '::2', linkType: LinkType.ETHERNET, payload: new Uint8Array(300) });
    const frames: CaptureFrame[] = [
      // On the wire it had a 4-byte FCS that the capture did not keep.
      { data: small, time: 1, originalLength: small.length + 4 },
      { data: large, time: 2 },
      { data: large6, time: 3 },
      { data: small, time: 4 },
    ];
    const data = writePcap(frames, { linkType: LinkType.ETHERNET, snapLength: 128 });
    const { stats, datagrams } = parseAll(data);
    expect(datagrams.map((d) => d.frame)).toEqual([1, 4]);
    expect(stats).toMatchObject({ frames: 4, udpDatagrams: 2, snapTruncatedDatagrams: 2, skippedFrames: 2 });
  });

  it('formats addresses as RFC 5952 text and parses them back', () => {
    const cases = ['::', '::1', '2001:db8::1', '2001:db8:0:1:1:1:1:1', '2001:0:0:1::1', 'fe80::1:0:0:1', '::ffff:192.0.2.128', '1::'];
    for (const text of cases) expect(formatIpv6(parseIpv6(text), 0)).toBe(text);
    // Longest zero run wins; on a tie the first; a single zero group is not compressed.
    expect(formatIpv6(parseIpv6('2001:0:0:1:0:0:0:1'), 0)).toBe('2001:0:0:1::1');
    expect(formatIpv6(parseIpv6('2001:db8:0:0:1:0:0:1'), 0)).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('2001:DB8:0:1:1:1:1:1'), 0)).toBe('2001:db8:0:1:1:1:1:1');
    expect(() => parseIpv6('1::2::3')).toThrow();
    expect(() => parseIpv4('256.1.1.1')).toThrow();
  });
});
