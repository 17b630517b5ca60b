// The converter reads captures into two buffers that take turns, so a payload view is valid only while its
// datagram is being handled. Every consumer that keeps a packet past that (reordering, held flows, a packet
// suspected of a timestamp jump, SIP over TCP, fragments) must copy it. Checked the hard way: streams built from
// reused small buffers must equal, packet counts and every sample, streams built from one whole-file buffer.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCapture, readCapture } from '../../../src/media/pcap/index.js';
import type { TcpSegment, UdpDatagram } from '../../../src/media/pcap/index.js';
import { RtpDemuxer } from '../../../src/media/calls/index.js';
import type { RtpStream } from '../../../src/media/calls/index.js';
import { createSipDirectory } from '../../../src/recorder/convert/index.js';
import { mutateCapture } from '../../helpers/capture-mutations.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CORPUS = resolve(HERE, '../../../../shared/captures/third-party');
const FIXTURES = resolve(HERE, '../../../fixtures/calls');

function captures(dir: string): string[] {
  if (!existsSync(dir)) {
    if (process.env.CI) throw new Error(`${dir} is missing`);
    return [];
  }
  return readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .map((f) => join(dir, f))
    .sort();
}

const work = mkdtempSync(join(tmpdir(), 'recorder-reuse-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What the streams of a capture came to: counts, DTMF and every sample of every track. */
function summary(streams: RtpStream[]): unknown[] {
  return streams.map((s) => {
    const span = Number.isFinite(s.startPosition) ? s.endPosition - s.startPosition : 0;
    const samples = span > 0 ? s.track.read(s.startPosition, new Int16Array(span)) : new Int16Array(0);
    let hash = 0;
    for (let i = 0; i < samples.length; i++) hash = (Math.imul(hash, 31) + samples[i]!) | 0;
    return {
      flow: `${s.from.address}:${s.from.port}>${s.to.address}:${s.to.port}`,
      stats: s.stats,
      ssrcs: s.ssrcCounts(),
      dtmf: s.dtmf,
      codec: s.codec,
      start: s.startPosition,
      end: s.endPosition,
      samples: samples.length,
      hash,
    };
  });
}

async function demux(path: string, whole: boolean): Promise<unknown[]> {
  const signalling = createSipDirectory();
  const demuxer = new RtpDemuxer({ signalling });
  const onDatagram = (d: UdpDatagram): void => demuxer.push(d);
  const options = { recover: true, onTcpSegment: (segment: TcpSegment) => signalling.offerTcp!(segment) };
  try {
    if (whole) parseCapture(readFileSync(path), path, onDatagram, options);
    else await readCapture(path, onDatagram, { ...options, reuseBuffers: true, chunkSize: 1500 });
  } catch {
    // A damaged capture ends early the same way both ways; what was read before is compared.
  }
  const streams = demuxer.finish();
  try {
    return summary(streams);
  } finally {
    for (const stream of streams) stream.dispose();
  }
}

describe('streams built from reused read buffers equal streams built from the whole file', () => {
  const files = [...captures(CORPUS), ...captures(FIXTURES)];

  it.each(files.map((f) => [f.slice(f.lastIndexOf('/') + 1), f]))('%s', async (_name, path) => {
    const expected = await demux(path, true);
    expect(await demux(path, false)).toEqual(expected);
  });

  it('100 mutated captures (reordered, duplicated, damaged records; jumps in time)', async () => {
    const sources = files.filter((f) => readFileSync(f).length <= 2 << 20).map((f) => new Uint8Array(readFileSync(f)));
    if (sources.length === 0) return;
    let compared = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const mutation = mutateCapture(sources, seed);
      if (mutation.gzip) continue;
      const path = join(work, `case-${seed}.pcap`);
      writeFileSync(path, mutation.bytes);
      const expected = await demux(path, true);
      expect(await demux(path, false), `seed ${seed}: ${mutation.steps.join(', ')}`).toEqual(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(50);
  });
});
