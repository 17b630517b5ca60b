/**
 * Captures written by Wireshark's dumpcap itself (fixtures/pcap/make-loopback-captures.sh), not by our writer:
 * real pcapng with two interfaces (Ethernet and Linux cooked), nanosecond resolution, dumpcap's own options and
 * statistics blocks, and a classic pcap. Payloads are recomputed from the sender's formula; times are checked against tshark.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LinkType, readCapture } from '../../../src/media/pcap/index.js';
import type { UdpDatagram } from '../../../src/media/pcap/index.js';
import { fixtureEndpoints, fixturePayload } from '../../../fixtures/pcap/fixture-payload.js';
import { requireTool } from '../../helpers/tools.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/pcap/${name}`, import.meta.url));
const SENT = 24;

function indexOf(d: UdpDatagram): number {
  const match = /^recorder fixture datagram (\d+)\|/.exec(Buffer.from(d.payload.subarray(0, 40)).toString('latin1'));
  if (!match) throw new Error(`frame ${d.frame} carries no fixture datagram`);
  return Number(match[1]);
}

function tsharkTimes(path: string): Map<number, string> {
  requireTool('tshark');
  const out = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Map(
    out
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const [frame, time] = line.split('\t');
        return [Number(frame), time!] as const;
      }),
  );
}

async function check(name: string, copies: number, linkTypes: number[]): Promise<void> {
  const path = fixture(name);
  const datagrams: UdpDatagram[] = [];
  const stats = await readCapture(path, (d) => datagrams.push(d), { chunkSize: 1000 });
  expect(stats).toMatchObject({ frames: SENT * copies, udpDatagrams: SENT * copies, skippedFrames: 0, linkTypes });
  const seen = new Array<number>(SENT).fill(0);
  for (const d of datagrams) {
    const index = indexOf(d);
    seen[index]!++;
    expect({ src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort }).toEqual(fixtureEndpoints(index));
    expect(Buffer.from(d.payload).equals(Buffer.from(fixturePayload(index)))).toBe(true);
  }
  expect(seen).toEqual(new Array<number>(SENT).fill(copies));
  const times = tsharkTimes(path);
  for (const d of datagrams) expect(`${d.seconds}.${String(d.nanoseconds).padStart(9, '0')}`).toBe(times.get(d.frame));
}

describe('captures written by dumpcap', () => {
  it('pcapng from dumpcap -i lo -i any: both interfaces, every datagram twice, payloads and nanosecond times exact', async () => {
    await check('loopback-dumpcap.pcapng', 2, [LinkType.ETHERNET, LinkType.LINUX_SLL]);
  });

  it('classic pcap from dumpcap -P -i lo', async () => {
    await check('loopback-dumpcap.pcap', 1, [LinkType.ETHERNET]);
  });
});
