// udpFlowFrames (the embedded PBX's per-flow frame maker) against buildUdpFrame: byte for byte the same frames for
// random payloads (odd and even lengths, empty, ones whose checksum folds to 0), IP ids past 0xffff, and every link
// layer and VLAN stack the builder knows; IPv6 flows too (they take buildUdpFrame itself).
import { describe, expect, it } from 'vitest';
import { LinkType, buildUdpFrame, udpFlowFrames } from '../../../src/media/pcap/index.js';
import type { UdpFlowOptions } from '../../../src/media/pcap/index.js';
import { xorshift32 } from '../../../src/platform/util/index.js';

const flows: UdpFlowOptions[] = [
  { linkType: LinkType.ETHERNET, src: '172.16.4.10', dst: '10.0.0.20', srcPort: 16384, dstPort: 40002 },
  { linkType: LinkType.ETHERNET, src: '192.168.1.2', dst: '192.168.1.3', srcPort: 5004, dstPort: 5006, vlanTags: [12, { id: 99, tpid: 0x88a8, priority: 5 }] },
  { linkType: LinkType.LINUX_SLL, src: '10.1.1.1', dst: '10.2.2.2', srcPort: 1, dstPort: 65535 },
  { linkType: LinkType.LINUX_SLL2, src: '0.0.0.0', dst: '255.255.255.255', srcPort: 0, dstPort: 0 },
  { linkType: LinkType.RAW, src: '127.0.0.1', dst: '127.0.0.1', srcPort: 9000, dstPort: 9001, ttl: 3 },
  { linkType: LinkType.NULL, src: '10.9.8.7', dst: '10.9.8.6', srcPort: 7078, dstPort: 7080 },
  { linkType: LinkType.ETHERNET, src: 'fd00::1', dst: 'fd00::2', srcPort: 4000, dstPort: 4002 },
];

describe('udpFlowFrames', () => {
  it('makes the frames buildUdpFrame makes, byte for byte', () => {
    const next = xorshift32(2024);
    let frames = 0;
    let zeroFolds = 0;
    for (const flow of flows) {
      const frameOf = udpFlowFrames(flow);
      for (let n = 0; n < 400; n++) {
        const payload = new Uint8Array(n < 3 ? n : next() % 400);
        for (let i = 0; i < payload.length; i++) payload[i] = next() & 0xff;
        const ipId = n === 5 ? 0x1ffff : next() & 0x1ffff;
        const expected = buildUdpFrame({ ...flow, payload, ipId: ipId & 0xffff });
        expect(Buffer.from(frameOf(payload, ipId)).toString('hex'), `${flow.linkType} ${flow.src} payload ${payload.length}`).toBe(Buffer.from(expected).toString('hex'));
        frames++;
      }
      // A payload whose UDP checksum sums to 0xffff (sent as 0xffff, never 0): solve for the last two bytes.
      const probe = new Uint8Array(2);
      const frame = buildUdpFrame({ ...flow, payload: probe, ipId: 1 });
      const at = frame.length - 10 + 6;
      const checksum = (frame[at]! << 8) | frame[at + 1]!;
      if (checksum !== 0xffff && flow.src.includes('.')) {
        probe[0] = checksum >> 8;
        probe[1] = checksum & 0xff;
        expect(Buffer.from(udpFlowFrames(flow)(probe, 1)).toString('hex')).toBe(Buffer.from(buildUdpFrame({ ...flow, payload: probe, ipId: 1 })).toString('hex'));
        zeroFolds++;
      }
    }
    expect(frames).toBe(flows.length * 400);
    expect(zeroFolds).toBeGreaterThan(3);
  });
});
