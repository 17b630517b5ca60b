/**
 * Writes one capture file into the drive's REC directory while the call runs,
 * as a gateway writes to its CF card: the file appears when the first packet
 * is due on the simulated clock and grows batch by batch as simulated time
 * passes; it is fsynced and closed after the last packet.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LinkType, concatBytes, encodePcapHeader, encodePcapRecord } from '../../media/pcap/index.js';
import type { PcapOptions } from '../../media/pcap/index.js';
import type { CaptureSpec, PlannedCall, SimClock } from '../model.js';
import { captureFrames, planCapture } from './capture-packets.js';
import type { CapturePacket, CaptureRenderOptions, CaptureRenderStats } from './capture-packets.js';

/** The capture file could not be created or written. */
export class CaptureWriteError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`capture ${path}: ${reason}`, options);
    this.name = 'CaptureWriteError';
  }
}

export interface RecordCaptureOptions {
  readonly call: PlannedCall;
  readonly spec: CaptureSpec;
  /** The drive's REC directory (must exist). */
  readonly recDir: string;
  readonly clock: SimClock;
  readonly signal?: AbortSignal;
  /** Real ms between batches written to the file (default 100). */
  readonly flushIntervalMs?: number;
  /** Addresses of the simulated hosts. */
  readonly render?: CaptureRenderOptions;
}

export interface RecordedCapture {
  readonly path: string;
  /** Frames written (duplicates included). */
  readonly packets: number;
  /** File size. */
  readonly bytes: number;
  /** What the impairments did. */
  readonly stats: CaptureRenderStats;
}

const PCAP_OPTIONS: PcapOptions = { linkType: LinkType.ETHERNET };
/**
 * Bytes gathered before a write, so a fast clock's huge batch never sits in memory whole, and the packets made in
 * one go stay few: every capture writer that is behind makes one chunk per turn of the event loop, and with
 * hundreds of calls at once 256 KiB chunks held the PBX's process (SOAP, CDRs, timers) for seconds.
 */
const WRITE_CHUNK_BYTES = 32 * 1024;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Write `<recDir>/<spec.fileName>` for the call as simulated time passes.
 * Resolves after the last packet is on disk (fsynced); on abort, closes what
 * was written and rejects with the signal's reason.
 */
export async function recordCapture(options: RecordCaptureOptions): Promise<RecordedCapture> {
  const { call, spec, clock, signal } = options;
  const interval = options.flushIntervalMs ?? 100;
  if (!Number.isFinite(interval) || interval < 0) throw new RangeError(`flushIntervalMs must be ms ≥ 0, got ${interval}`);
  planCapture(call, spec, options.render); // bad specs fail here, before any waiting
  const path = join(options.recDir, spec.fileName);
  if (signal?.aborted) throw abortReason(signal);
  await clock.sleepUntil(call.setupTime + spec.start, signal);

  let handle: FileHandle;
  try {
    handle = await open(path, 'w');
  } catch (error) {
    throw new CaptureWriteError(path, `cannot create (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const frames = captureFrames(call, spec, options.render);
  let packets = 0;
  let bytes = 0;
  let closed = false;
  try {
    const header = encodePcapHeader(PCAP_OPTIONS);
    await writeAll(handle, header);
    bytes += header.length;
    let next = frames.next();
    let lastWrite = performance.now();
    while (!next.done) {
      if (signal?.aborted) throw abortReason(signal);
      // Everything due by now, in bounded chunks.
      const now = clock.now() - call.setupTime;
      let parts: Uint8Array[] = [];
      let partBytes = 0;
      while (!next.done && next.value.atMs <= now) {
        const record = encodePcapRecord(next.value as CapturePacket, PCAP_OPTIONS);
        parts.push(record);
        partBytes += record.length;
        packets++;
        next = frames.next();
        if (partBytes >= WRITE_CHUNK_BYTES) {
          await writeAll(handle, concatBytes(parts));
          bytes += partBytes;
          parts = [];
          partBytes = 0;
        }
      }
      if (partBytes > 0) {
        await writeAll(handle, concatBytes(parts));
        bytes += partBytes;
      }
      if (next.done) break;
      lastWrite = performance.now();
      await clock.sleepUntil(call.setupTime + next.value.atMs, signal);
      // Batch: at most one write per flush interval of real time.
      const wait = interval - (performance.now() - lastWrite);
      if (wait > 0) {
        try {
          await delay(wait, undefined, signal ? { signal } : {});
        } catch (error) {
          if (signal?.aborted) throw abortReason(signal);
          throw error;
        }
      }
    }
    await handle.sync();
    closed = true;
    await handle.close();
    return { path, packets, bytes, stats: next.value };
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    if (signal?.aborted) throw abortReason(signal);
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      throw new CaptureWriteError(path, `write failed (${error.message})`, { cause: error });
    }
    throw error;
  }
}
