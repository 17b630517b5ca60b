// A damaged capture can garble one datagram's capture time and address: a single "packet" hours after a short
// call. Fuzz seed 12394 turned a 1.5 s call into a 12,033 s recording that way. Such a stray is left out of the
// recording and reported; a real late stream (a second or more of audio) is not.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCapture } from '../../../src/recorder/convert/index.js';
import { LinkType, PcapFileWriter, buildUdpFrame, parseCapture } from '../../../src/media/pcap/index.js';
import type { UdpDatagram } from '../../../src/media/pcap/index.js';

const work = mkdtempSync(join(tmpdir(), 'recorder-stray-'));
afterAll(() => (process.env.KEEP ? undefined : rmSync(work, { recursive: true, force: true })));

const SIP_CALL = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/calls/sip-call.pcap');

/**
 * The SIP fixture (a 1.5 s call, media 203.0.113.50:7078 ⇄ 192.168.10.201:50010 as its SDP says) without its
 * BYE, plus `count` packets of the remote side from a garbled address, `lateAt` s after the call's first packet.
 */
async function capture(name: string, lateAt: number, count: number): Promise<string> {
  const datagrams: UdpDatagram[] = [];
  parseCapture(new Uint8Array(readFileSync(SIP_CALL)), SIP_CALL, (d) => datagrams.push({ ...d, payload: Uint8Array.from(d.payload) }));
  const remote = datagrams.filter((d) => d.src === '203.0.113.50' && d.srcPort === 7078);
  // Without its BYE (garbled, in the fuzz case) the dialog stays open, and its SDP claims the late packets too.
  const kept = datagrams.filter((d) => !(d.dstPort === 5060 && d.time > remote[0]!.time));
  datagrams.length = 0;
  datagrams.push(...kept);
  const first = remote[0]!;
  for (let i = 0; i < count; i++) {
    const payload = Uint8Array.from(first.payload);
    new DataView(payload.buffer).setUint16(2, 40000 + i);
    new DataView(payload.buffer).setUint32(4, 900000 + i * 160);
    datagrams.push({ ...first, src: '203.0.172.50', time: first.time + lateAt + i * 0.02, payload });
  }
  const path = join(work, name);
  const writer = await PcapFileWriter.create(path, { format: 'pcap', linkType: LinkType.ETHERNET });
  for (const d of datagrams) writer.append({ time: d.time, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload }) });
  await writer.close();
  return path;
}

describe('stray packets far from their call', () => {
  it('one packet three hours after a 1.5 s call is left out and reported: the recording stays 1.5 s', async () => {
    const report = await convertCapture(await capture('stray.pcap', 3 * 3600, 1), { outDir: join(work, 'out-stray'), durable: false });
    expect(report.ok).toBe(true);
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]!.durationSeconds).toBeLessThan(2);
    expect(report.warnings.join('\n')).toMatch(/1 packet of 203\.0\.172\.50:7078 → 192\.168\.10\.201:50010 lying over a minute from the rest of the call: left out/);
    expect(report.unrecordedStreams?.map((s) => s.packets)).toEqual([1]);
  });

  it('a late stream with seconds of audio is the call going on, and stays in the recording', async () => {
    const report = await convertCapture(await capture('late.pcap', 120, 150), { outDir: join(work, 'out-late'), durable: false });
    expect(report.ok).toBe(true);
    expect(report.outputs).toHaveLength(1);
    expect(report.outputs[0]!.durationSeconds).toBeGreaterThan(122);
    expect(report.warnings.join('\n')).not.toMatch(/left out/);
  });

  it('one packet with a garbled SSRC and a capture time 101 s late inside a stream is left out (fuzz seed 28160: 101 s from 1.5 s)', async () => {
    const source = join(dirname(SIP_CALL), 'alaw-20ms.pcap');
    const datagrams: UdpDatagram[] = [];
    parseCapture(new Uint8Array(readFileSync(source)), source, (d) => datagrams.push({ ...d, payload: Uint8Array.from(d.payload) }));
    const victim = datagrams[60]!;
    victim.payload[10] ^= 0xdc;
    datagrams[60] = { ...victim, time: victim.time + 101 };
    const path = join(work, 'ssrc-excursion.pcap');
    const writer = await PcapFileWriter.create(path, { format: 'pcap', linkType: LinkType.ETHERNET });
    for (const d of datagrams) writer.append({ time: d.time, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload }) });
    await writer.close();
    const report = await convertCapture(path, { outDir: join(work, 'out-excursion'), durable: false });
    expect(report.ok).toBe(true);
    expect(report.outputs[0]!.durationSeconds).toBeLessThan(2);
    expect(report.warnings.join('\n')).toMatch(/0\.02 s of audio lying over a minute from the rest of the call left out/);
  });

  it('a call cut to a third of a second with one packet 3 hours away: the larger part is the call (fuzz seed 174545: 31,457 s)', async () => {
    const source = join(dirname(SIP_CALL), 'alaw-20ms.pcap');
    const datagrams: UdpDatagram[] = [];
    parseCapture(new Uint8Array(readFileSync(source)), source, (d) => datagrams.push({ ...d, payload: Uint8Array.from(d.payload) }));
    const cut = datagrams.slice(0, 16);
    cut[15] = { ...cut[15]!, time: cut[15]!.time + 3 * 3600 };
    const path = join(work, 'cut.pcap');
    const writer = await PcapFileWriter.create(path, { format: 'pcap', linkType: LinkType.ETHERNET });
    for (const d of cut) writer.append({ time: d.time, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload }) });
    await writer.close();
    const report = await convertCapture(path, { outDir: join(work, 'out-cut'), durable: false });
    expect(report.ok).toBe(true);
    expect(report.outputs[0]!.durationSeconds).toBeLessThan(1);
  });

  it('a capture time no calendar holds (pcapng, year 287,000) converts, with the MP3 tags saying "unknown time" (fuzz seed 128454 threw)', async () => {
    const source = join(dirname(SIP_CALL), 'alaw-20ms.pcap');
    const datagrams: UdpDatagram[] = [];
    parseCapture(new Uint8Array(readFileSync(source)), source, (d) => datagrams.push({ ...d, payload: Uint8Array.from(d.payload) }));
    const path = join(work, 'far-future.pcapng');
    const writer = await PcapFileWriter.create(path, { format: 'pcapng', interfaces: [{ linkType: LinkType.ETHERNET }] });
    const shift = 9e12 - datagrams[0]!.time;
    for (const d of datagrams) writer.append({ time: d.time + shift, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: d.src, dst: d.dst, srcPort: d.srcPort, dstPort: d.dstPort, payload: d.payload }) });
    await writer.close();
    const report = await convertCapture(path, { outDir: join(work, 'out-far'), durable: false, format: 'mp3' });
    expect(report.error).toBeUndefined();
    expect(report.outputs).toHaveLength(1);
    expect(readFileSync(report.outputs[0]!.path).includes(Buffer.from('unknown time'))).toBe(true);
  });
});
