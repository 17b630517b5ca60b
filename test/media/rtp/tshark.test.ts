import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRtp } from '../../../src/media/rtp/index.js';
import { encodeRtpPacket } from '../../../src/embedded/index.js';
import { LinkType, buildUdpFrame, writePcap } from '../../../src/media/pcap/index.js';
import { mulberry32 } from '../../../src/platform/util/index.js';
import { requireTool } from '../../helpers/tools.js';

const PORT = 40000;

/**
 * Header fields as text, one line per packet, in the same form for tshark's reading and ours. The
 * payload (padding excluded) stands for the padding count, which tshark does not report for every type.
 */
function describeHeader(p: { v: number; p: number; x: number; cc: number; m: number; pt: number; seq: number; ts: number; ssrc: number; csrcs: string; profile: string; extLen: string; payload: string }): string {
  return [p.v, p.p, p.x, p.cc, p.m, p.pt, p.seq, p.ts, p.ssrc, p.csrcs, p.profile, p.extLen, p.payload].join('|');
}

describe('RTP headers against tshark', () => {
  it('2000 packets with random CSRC lists, extensions, padding and markers read the same as tshark reads them', () => {
    requireTool('tshark');
    const random = mulberry32(3550);
    const int = (n: number): number => Math.floor(random() * n);
    const datagrams: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      // Payload types outside 64–95 (RFC 5761: those collide with RTCP); one SSRC per packet so tshark keeps no stream state.
      const pt = [0, 8, 9, 13, 18, 96, 101, 127][int(8)]!;
      const extensionWords = int(4);
      datagrams.push(
        encodeRtpPacket({
          payloadType: pt,
          sequence: int(65536),
          timestamp: int(2 ** 32),
          ssrc: int(2 ** 32),
          marker: random() < 0.3,
          csrcs: Array.from({ length: int(4) }, () => int(2 ** 32)),
          payload: Uint8Array.from({ length: 1 + int(40) }, () => int(256)),
          ...(random() < 0.4 ? { extension: { profile: 0x1234, data: Uint8Array.from({ length: 4 * extensionWords }, () => int(256)) } } : {}),
          padding: random() < 0.3 ? 1 + int(8) : 0,
        }),
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'rtp-tshark-'));
    try {
      const file = join(dir, 'rtp.pcap');
      const frames = datagrams.map((payload, i) => ({
        data: buildUdpFrame({ linkType: LinkType.ETHERNET, src: '192.0.2.1', dst: '192.0.2.2', srcPort: PORT, dstPort: PORT, payload }),
        time: 1_700_000_000 + i * 0.02,
      }));
      writeFileSync(file, writePcap(frames, { linkType: LinkType.ETHERNET }));
      const fields = ['rtp.version', 'rtp.padding', 'rtp.ext', 'rtp.cc', 'rtp.marker', 'rtp.p_type', 'rtp.seq', 'rtp.timestamp', 'rtp.ssrc', 'rtp.csrc.item', 'rtp.ext.profile', 'rtp.ext.len', 'rtp.payload'];
      const output = execFileSync('tshark', ['-r', file, '-d', `udp.port==${PORT},rtp`, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        maxBuffer: 1 << 26,
      });
      const theirs = output
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => {
          const c = line.split('\t');
          const bool = (s: string | undefined): number => (s === 'True' || s === '1' ? 1 : 0);
          return describeHeader({
            v: Number(c[0]),
            p: bool(c[1]),
            x: bool(c[2]),
            cc: Number(c[3]),
            m: bool(c[4]),
            pt: Number(c[5]),
            seq: Number(c[6]),
            ts: Number(c[7]),
            ssrc: Number(c[8]),
            csrcs: (c[9] ?? '').split(',').filter(Boolean).map(Number).join(','),
            profile: c[10] ? String(Number(c[10])) : '',
            extLen: c[11] ?? '',
            payload: (c[12] ?? '').replace(/:/g, ''),
          });
        });
      const ours = datagrams.map((bytes) => {
        const p = parseRtp(bytes)!;
        return describeHeader({
          v: p.version,
          p: p.padding ? 1 : 0,
          x: p.extension ? 1 : 0,
          cc: p.csrcs.length,
          m: p.marker ? 1 : 0,
          pt: p.payloadType,
          seq: p.sequence,
          ts: p.timestamp,
          ssrc: p.ssrc,
          csrcs: p.csrcs.join(','),
          profile: p.extension ? String(p.extensionProfile) : '',
          extLen: p.extension ? String(p.extensionData!.length / 4) : '',
          payload: Buffer.from(p.payload).toString('hex'),
        });
      });
      expect(theirs.length).toBe(2000);
      const differing = ours.filter((line, i) => line !== theirs[i]);
      expect({ compared: ours.length, differing: differing.length, firstDiffering: differing[0] }).toEqual({ compared: 2000, differing: 0, firstDiffering: undefined });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
