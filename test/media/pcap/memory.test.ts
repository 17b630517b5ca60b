import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildUdpFrame, concatBytes, encodePcapHeader, encodePcapRecord, LinkType, readCapture } from '../../../src/media/pcap/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pcap-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TARGET_BYTES = 200 * 1024 * 1024;

describe('constant memory', () => {
  it('streams a ~200 MB capture with bounded RSS growth (< 64 MB over the baseline)', async () => {
    const path = join(dir, 'big.pcap');
    const options = { linkType: LinkType.ETHERNET } as const;
    // One 20 ms G.711 RTP packet per record (172-byte payload), written in 4 MiB blocks.
    const records: Uint8Array[] = [];
    for (let i = 0; i < 16384; i++) {
      const payload = new Uint8Array(172).fill(i & 0xff);
      const data = buildUdpFrame({ ...options, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 16384, dstPort: 16386, payload });
      records.push(encodePcapRecord({ data, time: { seconds: 1_700_000_000 + Math.floor(i / 50), nanoseconds: (i % 50) * 20_000_000 } }, options));
    }
    const block = concatBytes(records);
    const fd = openSync(path, 'w');
    writeSync(fd, encodePcapHeader(options));
    let blocks = 0;
    for (; blocks * block.length < TARGET_BYTES; blocks++) writeSync(fd, block);
    closeSync(fd);
    expect(statSync(path).size).toBeGreaterThan(190 * 1024 * 1024);

    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    let datagrams = 0;
    let payloadBytes = 0;
    const stats = await readCapture(path, (d) => {
      datagrams++;
      payloadBytes += d.payload.length;
      if ((datagrams & 0x3fff) === 0) peak = Math.max(peak, process.memoryUsage.rss());
    });
    peak = Math.max(peak, process.memoryUsage.rss());
    const growthMb = (peak - baseline) / (1024 * 1024);
    console.log(`streamed ${stats.frames} frames (${(statSync(path).size / 1048576).toFixed(0)} MB): RSS growth ${growthMb.toFixed(1)} MB`);
    expect(stats.frames).toBe(blocks * 16384);
    expect(datagrams).toBe(stats.frames);
    expect(payloadBytes).toBe(stats.frames * 172);
    expect(growthMb).toBeLessThan(64);
    rmSync(path);
  });
});
