// Writes a synthetic two-party G.711 A-law call (a tone per party, 20 ms packets) as a pcap file, for tests
// that need a capture of a chosen length without a fixture.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { LinkType, buildUdpFrame, encodePcapHeader, encodePcapRecord } from '../../src/media/pcap/index.js';
import { encodeRtpPacket } from '../../src/embedded/index.js';
import { encodeG711 } from '../../src/media/codecs/index.js';

export interface ToneCallOptions {
  readonly seconds: number;
  /** The two parties' addresses (default 10.0.0.1 ↔ 10.0.0.2). */
  readonly a?: string;
  readonly b?: string;
  readonly portA?: number;
  readonly portB?: number;
  /** Capture time of the first packet (s). */
  readonly start?: number;
  readonly hzA?: number;
  readonly hzB?: number;
}

/** Several short calls in one capture, their packets interleaved in time (for captures holding many calls). */
export function writeToneCalls(path: string, calls: readonly ToneCallOptions[]): number {
  const pcap = { linkType: LinkType.ETHERNET } as const;
  const records: Array<{ time: number; bytes: Uint8Array }> = [];
  calls.forEach((call, index) => {
    for (const packet of tonePackets(call, 0x1000 * (index + 1))) records.push({ time: packet.time, bytes: encodePcapRecord(packet, pcap) });
  });
  records.sort((a, b) => a.time - b.time);
  const data = Buffer.concat([encodePcapHeader(pcap), ...records.map((r) => r.bytes)]);
  writeFileSync(path, data);
  return data.length;
}

/** The frames of one call, in time order. */
function* tonePackets(options: ToneCallOptions, ssrcBase: number): Generator<{ time: number; data: Uint8Array }> {
  const packets = Math.round(options.seconds * 50);
  const start = options.start ?? 1_700_000_000;
  const a = options.a ?? '10.0.0.1';
  const b = options.b ?? '10.0.0.2';
  const portA = options.portA ?? 40000;
  const portB = options.portB ?? 50000;
  for (let n = 0; n < packets; n++) {
    for (const [src, dst, srcPort, dstPort, ssrc, hz, lag] of [
      [a, b, portA, portB, ssrcBase + 1, options.hzA ?? 440, 0],
      [b, a, portB, portA, ssrcBase + 2, options.hzB ?? 700, 0.001],
    ] as const) {
      const rtp = encodeRtpPacket({ payloadType: 8, sequence: n & 0xffff, timestamp: (n * 160) >>> 0, ssrc, payload: toneChunk(hz, n) });
      yield { time: start + n * 0.02 + lag, data: buildUdpFrame({ linkType: LinkType.ETHERNET, src, dst, srcPort, dstPort, payload: rtp }) };
    }
  }
}

function toneChunk(hz: number, n: number): Uint8Array {
  const samples = new Int16Array(160);
  for (let i = 0; i < 160; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (n * 160 + i)) / 8000));
  return encodeG711('alaw', samples);
}

/** Write the call to `path`; returns the bytes written. Memory stays small whatever the length. */
export function writeToneCall(path: string, options: ToneCallOptions): number {
  const pcap = { linkType: LinkType.ETHERNET } as const;
  const fd = openSync(path, 'w');
  let bytes = 0;
  const put = (data: Uint8Array): void => {
    writeSync(fd, data);
    bytes += data.length;
  };
  try {
    put(encodePcapHeader(pcap));
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    for (const packet of tonePackets(options, 0x1110)) {
      const record = encodePcapRecord(packet, pcap);
      batch.push(record);
      batchBytes += record.length;
      if (batchBytes > 1 << 20) {
        put(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) put(Buffer.concat(batch));
  } finally {
    closeSync(fd);
  }
  return bytes;
}
