import { execFileSync } from 'node:child_process';
import { requireTool } from './tools.js';

/** One row of `tshark -z rtp,streams`. */
export interface TsharkRtpStream {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly ssrc: number;
  readonly payload: string;
  readonly packets: number;
  /** tshark's "Lost": expected minus received, so duplicates make it smaller (even negative). */
  readonly lost: number;
}

/**
 * tshark's own RTP stream analysis of a capture. RTP heuristics are on so
 * that captures without SIP (a gateway's) are analysed too.
 */
export function tsharkRtpStreams(file: string, decodeAsRtp: readonly number[] = []): TsharkRtpStream[] {
  requireTool('tshark');
  // Ports that a registered protocol claims first (port 3000 is DIS to tshark) are told to tshark as RTP.
  const decodeAs = decodeAsRtp.flatMap((port) => ['-d', `udp.port==${port},rtp`]);
  const text = execFileSync('tshark', ['--enable-heuristic', 'rtp_udp', ...decodeAs, '-r', file, '-q', '-z', 'rtp,streams'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return parseRtpStreams(text);
}

/** The rows of tshark's `-z rtp,streams` table in its output (other lines are passed over). */
export function parseRtpStreams(text: string): TsharkRtpStream[] {
  const rows: TsharkRtpStream[] = [];
  for (const line of text.split('\n')) {
    // start end src srcPort dst dstPort ssrc payload… packets lost (pct) …
    const m = /^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+0x([0-9A-Fa-f]+)\s+(.+?)\s+(\d+)\s+(-?\d+)\s+\(/.exec(line);
    if (!m) continue;
    rows.push({
      src: m[1]!,
      srcPort: Number(m[2]),
      dst: m[3]!,
      dstPort: Number(m[4]),
      ssrc: Number.parseInt(m[5]!, 16),
      payload: m[6]!.trim(),
      packets: Number(m[7]),
      lost: Number(m[8]),
    });
  }
  return rows;
}

/** The RTP payload bytes of one stream in capture order, as tshark extracts them. */
export function tsharkRtpPayloads(file: string, ssrc: number): Uint8Array[] {
  requireTool('tshark');
  const text = execFileSync(
    'tshark',
    ['--enable-heuristic', 'rtp_udp', '-r', file, '-Y', `rtp.ssrc == 0x${ssrc.toString(16)}`, '-T', 'fields', '-e', 'rtp.seq', '-e', 'rtp.payload'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 },
  );
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => Buffer.from((line.split('\t')[1] ?? '').replace(/:/g, ''), 'hex'));
}
