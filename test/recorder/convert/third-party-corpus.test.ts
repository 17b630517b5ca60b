// Real-world captures nobody here wrote (../shared/captures/third-party and Debian's sip-tester samples), checked
// against independent tools: every RTP packet tshark sees is in our streams with the same counts, every G.711 and
// G.722 payload is in the audio exactly as ffmpeg decodes it, each party of a call is on its own channel, and
// media that cannot be decoded (other codecs, SRTP) is reported by name, never decoded into noise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../../src/media/pcap/index.js';
import { RtpDemuxer, groupCalls, streamsOf } from '../../../src/media/calls/index.js';
import type { RtpStream } from '../../../src/media/calls/index.js';
import { convertCapture, createSipDirectory } from '../../../src/recorder/convert/index.js';
import { ffmpegPipe, int16FromBuffer, requireTool } from '../../helpers/tools.js';
import { parseRtpStreams } from '../../helpers/tshark.js';
import type { TsharkRtpStream } from '../../helpers/tshark.js';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/captures/third-party');
const SIPP_SAMPLES = '/usr/share/sip-tester';

function corpusFiles(): string[] {
  if (!existsSync(CORPUS)) {
    if (process.env.CI) throw new Error(`${CORPUS} is missing: the third-party captures come with ../shared`);
    return [];
  }
  const files = readdirSync(CORPUS)
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .map((f) => join(CORPUS, f));
  if (existsSync(SIPP_SAMPLES)) files.push(...readdirSync(SIPP_SAMPLES).filter((f) => f.endsWith('.pcap')).map((f) => join(SIPP_SAMPLES, f)));
  else if (process.env.CI) throw new Error(`${SIPP_SAMPLES} is missing: apt-get install sip-tester (.ci/run does)`);
  return files.sort();
}

const FILES = corpusFiles();
const work = mkdtempSync(join(tmpdir(), 'recorder-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** One RTP packet as tshark dissects it. */
interface TsharkPacket {
  readonly flow: string;
  readonly ssrc: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly payloadType: number;
  readonly payload: Buffer;
}

/**
 * tshark's view of a capture in one run (its start-up is most of the time on these small files): every RTP
 * packet dissected, and its own RTP stream analysis (`-z rtp,streams`, printed after the packets).
 */
function tsharkView(file: string, decodeAs: readonly number[]): { packets: TsharkPacket[]; streams: TsharkRtpStream[] } {
  requireTool('tshark');
  const text = execFileSync(
    'tshark',
    ['--enable-heuristic', 'rtp_udp', ...decodeAs.flatMap((port) => ['-d', `udp.port==${port},rtp`]), '-r', file, '-Y', 'rtp && !icmp && !icmpv6', '-T', 'fields', '-E', 'separator=/t', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'udp.srcport', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'udp.dstport', '-e', 'rtp.ssrc', '-e', 'rtp.seq', '-e', 'rtp.timestamp', '-e', 'rtp.p_type', '-e', 'rtp.payload', '-z', 'rtp,streams'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 },
  );
  const table = text.search(/^={5,}/m);
  const fields = table >= 0 ? text.slice(0, table) : text;
  const packets = fields
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => {
      const [ip4s, ip6s, sport, ip4d, ip6d, dport, ssrc, seq, ts, pt, payload] = line.split('\t');
      return {
        flow: `${ip4s || ip6s}:${sport}>${ip4d || ip6d}:${dport}`,
        ssrc: Number.parseInt(ssrc!, 16),
        seq: Number(seq),
        timestamp: Number(ts),
        payloadType: Number(pt),
        payload: Buffer.from((payload ?? '').replace(/:/g, ''), 'hex'),
      };
    });
  return { packets, streams: table >= 0 ? parseRtpStreams(text.slice(table)) : [] };
}

function flowOf(stream: RtpStream): string {
  return `${stream.from.address}:${stream.from.port}>${stream.to.address}:${stream.to.port}`;
}

async function demux(file: string): Promise<RtpStream[]> {
  const signalling = createSipDirectory();
  const demuxer = new RtpDemuxer({ signalling });
  await readCapture(file, (d) => demuxer.push(d)).catch(() => undefined);
  const streams = demuxer.finish();
  (streams as RtpStream[] & { calls?: unknown }).calls = groupCalls(streams, signalling);
  return streams;
}

const FFMPEG_FORMAT: Record<string, { format: string; samplesPerByte: number; ratio: number }> = {
  pcma: { format: 'alaw', samplesPerByte: 1, ratio: 1 },
  pcmu: { format: 'mulaw', samplesPerByte: 1, ratio: 1 },
  g722: { format: 'g722', samplesPerByte: 2, ratio: 2 },
};

/**
 * Check one SSRC's payloads against the stream's decoded track: decode the payloads (in sequence order, each
 * once) with ffmpeg, then find each packet's samples where its RTP timestamp puts it. The first packet with a
 * sound in it anchors the timeline; a packet not found there is searched for onwards (a timestamp jump
 * re-anchors the stream). Returns samples compared and packets not found.
 */
function compareSamples(stream: RtpStream, packets: TsharkPacket[], codec: string): { samples: number; missing: number; reanchored: number } {
  const { format, samplesPerByte, ratio } = FFMPEG_FORMAT[codec]!;
  const bySeq = new Map<number, TsharkPacket>();
  let base = -1;
  let unwrapped: Array<{ ext: number; packet: TsharkPacket }> = [];
  for (const packet of packets) {
    if (base < 0) base = packet.seq;
    let ext = packet.seq;
    const last = unwrapped.length > 0 ? unwrapped[unwrapped.length - 1]!.ext : base;
    while (ext - last < -32768) ext += 65536;
    while (ext - last > 32768) ext -= 65536;
    if (bySeq.has(ext)) continue;
    bySeq.set(ext, packet);
    unwrapped.push({ ext, packet });
  }
  unwrapped = unwrapped.sort((a, b) => a.ext - b.ext);
  const ordered = unwrapped.map((u) => u.packet);
  const decoded = int16FromBuffer(ffmpegPipe(['-f', format, ...(format === 'g722' ? [] : ['-ar', '8000', '-ac', '1']), '-i', 'pipe:0', '-f', 's16le', 'pipe:1'], Buffer.concat(ordered.map((p) => p.payload))));
  const trackStart = stream.startPosition;
  const track = stream.track.read(trackStart, new Int16Array(stream.endPosition - trackStart));
  const matchesAt = (chunk: Int16Array, at: number): boolean => {
    if (at < 0 || at + chunk.length > track.length) return false;
    for (let i = 0; i < chunk.length; i++) if (track[at + i] !== chunk[i]) return false;
    return true;
  };
  const search = (chunk: Int16Array, from: number): number => {
    for (let at = Math.max(0, from); at + chunk.length <= track.length; at++) if (track[at] === chunk[0] && matchesAt(chunk, at)) return at;
    return -1;
  };
  let offset = 0;
  let anchor: { at: number; ts: number } | undefined;
  let samples = 0;
  let missing = 0;
  let reanchored = 0;
  for (const packet of ordered) {
    const length = packet.payload.length * samplesPerByte;
    const chunk = decoded.subarray(offset, offset + length);
    offset += length;
    if (chunk.length === 0) continue;
    const silent = chunk.every((s) => s === chunk[0]);
    const predicted = anchor ? anchor.at + ((packet.timestamp - anchor.ts) | 0) * ratio : -1;
    if (anchor && matchesAt(chunk, predicted)) {
      samples += chunk.length;
      continue;
    }
    if (silent && anchor) {
      // A constant chunk is found anywhere: only its predicted place says something, and it did not match.
      missing++;
      continue;
    }
    if (silent) continue; // nothing to anchor on yet
    const at = search(chunk, anchor ? 0 : 0);
    if (at < 0) {
      missing++;
      continue;
    }
    if (anchor) reanchored++;
    anchor = { at, ts: packet.timestamp };
    samples += chunk.length;
  }
  return { samples, missing, reanchored };
}

/** What each capture must report when it has nothing decodable, by name. */
const UNDECODABLE: Record<string, RegExp> = {
  'lundgrel__h264.pcap': /payload type 96/,
  'lundgrel__sip-rtp-ilbc.pcap': /iLBC\/8000/,
  'lundgrel__sip-rtp-l16.pcap': /L16\/8000.*L16\/16000/,
  'lundgrel__srtp_g722_DTMF_srcport_29394.pcap': /encrypted media \(SRTP/,
  'wsSample__sip-rtp-g726.pcap': /G726-32\/8000/,
  'wsSample__sip-rtp-gsm.pcap': /payload type 3 \(GSM\/8000\)/,
  'wsSample__sip-rtp-opus.pcap': /opus\/48000/,
};

describe('third-party captures against tshark and ffmpeg', () => {
  it('the corpus is there', () => {
    if (FILES.length === 0) console.log(`third-party corpus not found at ${CORPUS}: the corpus tests below have nothing to check`);
    else expect(FILES.length).toBeGreaterThanOrEqual(26);
  });

  for (const file of FILES) {
    const name = basename(file);
    it(`${file.startsWith(SIPP_SAMPLES) ? 'sip-tester/' : ''}${name}`, async () => {
      const streams = await demux(file);
      try {
        // 1. Packet and loss counts per flow and SSRC equal tshark's.
        // tshark takes some RTP ports for another protocol (3000: DIS) unless told; it is told the ports we found RTP on.
        const decodeAs = name === 'lundgrel__RTP_2min_cisco_hold.pcap' ? [...new Set(streams.flatMap((s) => [s.from.port, s.to.port]))] : [];
        const view = tsharkView(file, decodeAs);
        const theirs = view.streams.map((row) => ({ key: `${row.src}:${row.srcPort}>${row.dst}:${row.dstPort}/${row.ssrc}`, packets: row.packets, lost: row.lost }));
        const ours = streams.flatMap((s) =>
          s.ssrcCounts().map((c) => ({ key: `${flowOf(s)}/${c.ssrc}`, packets: c.packets, lost: c.lost - c.duplicates })),
        );
        const sort = (rows: typeof ours) => [...rows].sort((a, b) => (a.key < b.key ? -1 : 1));
        expect(sort(ours), 'RTP streams, packets and loss per flow and SSRC').toEqual(sort(theirs));

        // 2. Every G.711/G.722 payload is in the audio as ffmpeg decodes it.
        const packets = view.packets;
        let compared = 0;
        for (const stream of streams) {
          const codec = stream.codec;
          if (codec === undefined || !(codec in FFMPEG_FORMAT) || stream.encryption() !== undefined) continue;
          for (const ssrc of stream.stats.ssrcs) {
            const own = packets.filter((p) => p.flow === flowOf(stream) && p.ssrc === ssrc && !stream.undecodableTypes.has(p.payloadType) && stream.stats.payloadTypes.includes(p.payloadType));
            const audio = own.filter((p) => p.payloadType === 0 || p.payloadType === 8 || p.payloadType === 9 || (p.payloadType >= 96 && p.payload.length > 16));
            if (audio.length === 0) continue;
            const result = compareSamples(stream, audio, codec);
            expect({ flow: flowOf(stream), ssrc, missing: result.missing }).toEqual({ flow: flowOf(stream), ssrc, missing: 0 });
            expect(result.reanchored).toBeLessThanOrEqual(stream.stats.timestampJumps + stream.stats.ssrcs.length);
            compared += result.samples;
          }
        }

        // 3. Each party of a call on its own channel; 4. what cannot be decoded is reported by name.
        const calls = (streams as RtpStream[] & { calls: ReturnType<typeof groupCalls> }).calls;
        for (const call of calls) {
          const audible = streamsOf(call).filter((s) => s.codec !== undefined && s.encryption() === undefined);
          const senders = new Set(audible.map((s) => s.from.address + ':' + s.from.port));
          if (senders.size >= 2) {
            expect({ call: call.index, external: call.external.filter((s) => audible.includes(s)).length > 0, internal: call.internal.filter((s) => audible.includes(s)).length > 0 }).toEqual({
              call: call.index,
              external: true,
              internal: true,
            });
          }
        }
        const report = await convertCapture(file, { outDir: join(work, name), durable: false });
        if (UNDECODABLE[name]) {
          expect(report.outputs).toEqual([]);
          expect(report.error).toMatch(UNDECODABLE[name]!);
        }
        console.log(`${name}: ${ours.length} SSRC streams equal tshark's, ${compared} samples equal ffmpeg's, ${report.outputs.length} recordings${report.ok ? '' : ` (${report.error})`}`);
      } finally {
        for (const stream of streams) stream.dispose();
      }
    });
  }
});
