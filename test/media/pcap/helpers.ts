import { parseCapture } from '../../../src/media/pcap/index.js';
import type { CaptureStats, UdpDatagram } from '../../../src/media/pcap/index.js';

// The project's one seeded PRNG, re-exported for the pcap tests.
export { mulberry32 } from '../../../src/platform/util/index.js';

export function randomInt(rng: () => number, below: number): number {
  return Math.floor(rng() * below);
}

export function randomBytes(rng: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rng, 256);
  return out;
}

/** A datagram as plain data, with the payload copied out as hex, for deep comparison. */
export interface SeenDatagram {
  frame: number;
  time: number;
  seconds: number | undefined;
  nanoseconds: number | undefined;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** Payload bytes as hex (compares much faster than an array of numbers). */
  payload: string;
}

export function plain(d: UdpDatagram): SeenDatagram {
  return {
    frame: d.frame,
    time: d.time,
    seconds: d.seconds,
    nanoseconds: d.nanoseconds,
    src: d.src,
    srcPort: d.srcPort,
    dst: d.dst,
    dstPort: d.dstPort,
    payload: Buffer.from(d.payload).toString('hex'),
  };
}

export function parseAll(data: Uint8Array, file = 'test.pcap'): { stats: CaptureStats; datagrams: UdpDatagram[] } {
  const datagrams: UdpDatagram[] = [];
  const stats = parseCapture(data, file, (d) => datagrams.push(d));
  return { stats, datagrams };
}

/** Run `fn` and return the error it throws (failing the test if it does not). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}
