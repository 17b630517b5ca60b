import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { PCAP_MAGIC_MICRO, PCAP_MAGIC_MODIFIED, PCAP_MAGIC_NANO, PCAPNG_SHB_TYPE } from './constants.js';
import { CaptureParser } from './capture-parser.js';
import { CaptureError } from './types.js';
import type { CaptureStats, TcpSegment, UdpDatagram } from './types.js';

export interface ReadCaptureOptions {
  /** Bytes per file read (default 1 MiB). */
  readonly chunkSize?: number;
  /**
   * Read every chunk into one of two buffers in turn: payload views are then valid only during the onDatagram
   * call, and whoever keeps one must copy it. Without it each chunk gets a new buffer and views stay valid.
   * Fresh memory costs a page fault per 4 KiB on first touch: a new buffer per chunk was a fifth of a
   * conversion's time.
   */
  readonly reuseBuffers?: boolean;
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
 * The next chunk is read while this one is parsed.
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
  const parser = new CaptureParser(path, onDatagram, options);
  // Each buffer has room in front of its chunk for the unparsed tail of the chunk before (a record cut by the
  // chunk boundary), so the tail joins the next chunk without a new buffer.
  const headroom = Math.min(chunkSize, 1 << 16);
  const buffers = [new Uint8Array(headroom + chunkSize), new Uint8Array(headroom + chunkSize)];
  const reuse = options.reuseBuffers === true;
  let filePosition = 0;
  const readAt = async (buffer: Uint8Array, offset: number, length: number): Promise<number> => {
    try {
      const { bytesRead } = await handle.read(buffer, offset, length, filePosition);
      filePosition += bytesRead;
      return bytesRead;
    } catch (error) {
      throw new CaptureError('IO', path, `read failed: ${describe(error)}`, filePosition, parser.stats);
    }
  };
  const readInto = (buffer: Uint8Array): Promise<number> => readAt(buffer, headroom, chunkSize);
  // Whether a read is under way (it must be awaited before the handle closes, also when parsing throws).
  let ahead: Promise<number> | undefined;
  try {
    let carry: Uint8Array = new Uint8Array(0);
    let position = 0;
    let turn = 0;
    let next = readInto(buffers[0]!);
    ahead = next;
    for (;;) {
      const bytesRead = await next;
      ahead = undefined;
      if (bytesRead === 0) break;
      const buffer = buffers[turn]!;
      let data: Uint8Array;
      let start: number;
      if (carry.length <= headroom) {
        buffer.set(carry, headroom - carry.length);
        data = buffer;
        start = headroom - carry.length;
      } else {
        // A record longer than the headroom (a jumbo frame, or a damaged length): join it in a buffer of its own;
        // when even the next chunk will not complete it, read up to the size it needs in one go, growing at most twofold (a damaged length may claim
        // gigabytes: the file's end, not the claim, bounds the memory).
        const joined = carry.length + bytesRead;
        const size = parser.needed > joined + chunkSize ? Math.max(joined, Math.min(parser.needed, 2 * joined)) : joined;
        data = new Uint8Array(size);
        data.set(carry);
        data.set(buffer.subarray(headroom, headroom + bytesRead), carry.length);
        let filled = joined;
        while (filled < size) {
          const more = await readAt(data, filled, size - filled);
          if (more === 0) break;
          filled += more;
        }
        if (filled < size) data = data.subarray(0, filled);
        start = 0;
      }
      const end = data === buffer ? headroom + bytesRead : data.length;
      // The other buffer is free (its chunk is parsed and its tail copied out): read the next chunk into it meanwhile.
      turn ^= 1;
      if (!reuse) buffers[turn] = new Uint8Array(headroom + chunkSize);
      next = readInto(buffers[turn]!);
      ahead = next;
      // parse() answers the index where it stopped (a record cut by the chunk's end starts there).
      const stop = parser.parse(data, start, end, position);
      position += stop - start;
      // The tail is copied: with reuse, the buffer it sits in is read into again two chunks from now.
      carry = reuse ? data.slice(stop, end) : data.subarray(stop, end);
      options.onProgress?.(position + carry.length);
    }
    if (carry.length > 0) {
      const consumed = parser.parse(carry, 0, carry.length, position, true);
      position += consumed;
      carry = carry.subarray(consumed);
    }
    return parser.finish(carry.length, position);
  } finally {
    await ahead?.catch(() => 0);
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
