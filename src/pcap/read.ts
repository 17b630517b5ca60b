import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { PCAP_MAGIC_MICRO, PCAP_MAGIC_MODIFIED, PCAP_MAGIC_NANO, PCAPNG_SHB_TYPE } from './constants.js';
import { CaptureParser } from './capture-parser.js';
import { CaptureError } from './types.js';
import type { CaptureStats, TcpSegment, UdpDatagram } from './types.js';

export interface ReadCaptureOptions {
  /** Bytes per file read (default 1 MiB). Each read goes into a new buffer, so payload views stay valid. */
  readonly chunkSize?: number;
  /** Called after each chunk with the bytes read so far (for progress bars); synchronous, between chunks. */
  readonly onProgress?: (bytesRead: number) => void;
  /** Called for each TCP segment's payload (signalling over TCP); without it TCP is skipped unread. */
  readonly onTcpSegment?: (segment: TcpSegment) => void;
  /** Skip damaged records and go on at the next sound one, counting what was skipped (see CaptureParserOptions). */
  readonly recover?: boolean;
}

export const DEFAULT_CHUNK_SIZE = 1 << 20;

/** Which capture format the first bytes announce (4 bytes suffice), or null. */
export function detectCaptureFormat(head: Uint8Array): 'pcap' | 'pcapng' | null {
  if (head.length < 4) return null;
  const little = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  const big = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  if (little === PCAPNG_SHB_TYPE) return 'pcapng';
  for (const magic of [PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO, PCAP_MAGIC_MODIFIED]) {
    if (little === magic || big === magic) return 'pcap';
  }
  return null;
}

/**
 * Parse a whole capture held in memory, calling `onDatagram` synchronously for each UDP datagram
 * (payloads are views into `data`). Throws CaptureError; on TRUNCATED every complete datagram has been delivered.
 */
export function parseCapture(
  data: Uint8Array,
  file: string,
  onDatagram: (datagram: UdpDatagram) => void,
  options: Pick<ReadCaptureOptions, 'onTcpSegment' | 'recover'> = {},
): CaptureStats {
  const parser = new CaptureParser(file, onDatagram, options);
  const consumed = parser.parse(data, 0, data.length, 0, true);
  return parser.finish(data.length - consumed, consumed);
}

/**
 * Stream a capture file in chunks with constant memory, calling `onDatagram` synchronously for each UDP datagram.
 * Resolves with the stats. Rejects with a CaptureError: EMPTY, NOT_A_CAPTURE, BAD_BLOCK, UNSUPPORTED, IO, or
 * TRUNCATED when the file ends inside a record — in that case every complete datagram before the cut has already
 * been delivered, and the error carries the stats (frames read) so the caller can decide to keep the audio.
 */
export async function readCapture(
  path: string,
  onDatagram: (datagram: UdpDatagram) => void,
  options: ReadCaptureOptions = {},
): Promise<CaptureStats> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, not ${chunkSize}`);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CaptureError('IO', path, `cannot open: ${describe(error)}`);
  }
  try {
    const parser = new CaptureParser(path, onDatagram, options);
    let carry = new Uint8Array(0);
    let position = 0;
    for (;;) {
      const missing = parser.needed - carry.length;
      // A record bigger than a chunk is read in growing steps (at least doubling), so it costs linear copying, not quadratic.
      const want = missing > chunkSize ? Math.max(chunkSize, Math.min(missing, carry.length)) : chunkSize;
      const buffer = new Uint8Array(carry.length + want);
      buffer.set(carry);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, carry.length, want, null));
      } catch (error) {
        throw new CaptureError('IO', path, `read failed: ${describe(error)}`, position + carry.length, parser.stats);
      }
      if (bytesRead === 0) break;
      const end = carry.length + bytesRead;
      const consumed = parser.parse(buffer, 0, end, position);
      position += consumed;
      carry = buffer.subarray(consumed, end);
      options.onProgress?.(position + carry.length);
    }
    if (carry.length > 0) {
      const consumed = parser.parse(carry, 0, carry.length, position, true);
      position += consumed;
      carry = carry.subarray(consumed);
    }
    return parser.finish(carry.length, position);
  } finally {
    await handle.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Parse a capture arriving as a stream of pieces (e.g. decrypted on the fly), with the same results and errors
 * as readCapture. `name` is used in errors. Memory is bounded by the largest record, not the stream.
 */
export async function readCaptureStream(
  source: AsyncIterable<Uint8Array>,
  name: string,
  onDatagram: (datagram: UdpDatagram) => void,
  options: Pick<ReadCaptureOptions, 'onTcpSegment' | 'recover'> = {},
): Promise<CaptureStats> {
  const parser = new CaptureParser(name, onDatagram, options);
  let carry = new Uint8Array(0);
  let position = 0;
  try {
    for await (const piece of source) {
      if (piece.length === 0) continue;
      let buffer: Uint8Array;
      if (carry.length === 0) buffer = piece;
      else {
        buffer = new Uint8Array(carry.length + piece.length);
        buffer.set(carry);
        buffer.set(piece, carry.length);
      }
      const consumed = parser.parse(buffer, 0, buffer.length, position);
      position += consumed;
      // Copy the unconsumed tail: the source may reuse its buffers.
      carry = buffer.slice(consumed);
    }
    if (carry.length > 0) {
      const consumed = parser.parse(carry, 0, carry.length, position, true);
      position += consumed;
      carry = carry.subarray(consumed);
    }
  } catch (error) {
    if (error instanceof CaptureError) throw error;
    throw new CaptureError('IO', name, `read failed: ${describe(error)}`, position + carry.length, parser.stats);
  }
  return parser.finish(carry.length, position);
}
