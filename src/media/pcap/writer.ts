/**
 * Writers for classic pcap and pcapng, for tests, fixtures and the embedded PBX.
 * Whole files: writePcap / writePcapng. Incremental files: PcapFileWriter.
 * Several pcapng sections: concatenate the outputs of several writePcapng calls (that is what a multi-section file is).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { concatBytes } from './frame-builder.js';
import { PCAP_MAGIC_MICRO, PCAP_MAGIC_MODIFIED, PCAP_MAGIC_NANO, PcapngBlockType, PcapngOption } from './constants.js';

/** An exact capture time: seconds since the Unix epoch and nanoseconds within that second. */
export interface FrameTime {
  readonly seconds: number;
  readonly nanoseconds: number;
}

export interface CaptureFrame {
  /** The frame as captured (link-layer header included), e.g. from buildUdpFrame. */
  readonly data: Uint8Array;
  /** Seconds since the epoch (a fractional number is rounded to the nanosecond) or an exact FrameTime. */
  readonly time: number | FrameTime;
  /** Length on the wire; larger than data.length for a frame cut by the snap length. Default data.length. */
  readonly originalLength?: number;
}

export type ByteOrder = 'little' | 'big';

export interface PcapOptions {
  /** LINKTYPE_* of every frame. */
  readonly linkType: number;
  readonly byteOrder?: ByteOrder;
  /** Timestamp resolution: 'micro' (magic a1b2c3d4, the default) or 'nano' (a1b23c4d). */
  readonly resolution?: 'micro' | 'nano';
  /** Written in the header; frames longer than it are cut to it (and keep their original length). Default 262144. */
  readonly snapLength?: number;
  /** Kuznetsov's modified pcap (magic a1b2cd34, 24-byte record headers); micro resolution only. */
  readonly modified?: boolean;
}

/** pcapng timestamp resolution: units of 10^-exponent or 2^-exponent seconds. */
export interface TimestampResolution {
  readonly base: 10 | 2;
  readonly exponent: number;
}

export interface PcapngInterfaceOptions {
  readonly linkType: number;
  /** Default 10^-6 (then no if_tsresol option is written, as the spec's default). */
  readonly resolution?: TimestampResolution;
  /** 0 means no limit. Default 0. */
  readonly snapLength?: number;
  /** if_name option. */
  readonly name?: string;
  /** if_tsoffset option: seconds added to every timestamp of this interface. */
  readonly offsetSeconds?: number;
}

export interface PcapngPacket extends CaptureFrame {
  /** Index into the section's interfaces (default 0; Simple Packet Blocks always use 0). */
  readonly interfaceId?: number;
  /** Block kind: Enhanced (default), Simple (no time, no interface) or the Obsolete Packet Block. */
  readonly block?: 'enhanced' | 'simple' | 'obsolete';
  /** opt_comment on Enhanced/Obsolete blocks. */
  readonly comment?: string;
}

/** Any other block, written verbatim (readers skip unknown types by length). */
export interface PcapngRawBlock {
  readonly blockType: number;
  /** Block body; padded to a multiple of 4 bytes. */
  readonly body: Uint8Array;
}

export type PcapngRecord = PcapngPacket | PcapngRawBlock;

export interface PcapngOptions {
  readonly interfaces: ReadonlyArray<PcapngInterfaceOptions>;
  readonly byteOrder?: ByteOrder;
}

const DEFAULT_SNAP_LENGTH = 262144;
const MICRO_RESOLUTION: TimestampResolution = { base: 10, exponent: 6 };

function exactTime(time: number | FrameTime): FrameTime {
  if (typeof time !== 'number') return time;
  let seconds = Math.floor(time);
  let nanoseconds = Math.round((time - seconds) * 1e9);
  if (nanoseconds >= 1e9) {
    seconds++;
    nanoseconds -= 1e9;
  }
  return { seconds, nanoseconds };
}

/** The 24-byte classic pcap file header. */
export function encodePcapHeader(options: PcapOptions): Uint8Array {
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  const le = (options.byteOrder ?? 'little') === 'little';
  const magic = options.modified ? PCAP_MAGIC_MODIFIED : options.resolution === 'nano' ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO;
  view.setUint32(0, magic, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, options.snapLength ?? DEFAULT_SNAP_LENGTH, le);
  view.setUint32(20, options.linkType, le);
  return header;
}

/** One classic pcap record (header + captured bytes). */
export function encodePcapRecord(frame: CaptureFrame, options: PcapOptions): Uint8Array {
  const le = (options.byteOrder ?? 'little') === 'little';
  const snap = options.snapLength ?? DEFAULT_SNAP_LENGTH;
  const captured = frame.data.length > snap ? frame.data.subarray(0, snap) : frame.data;
  const headerLength = options.modified ? 24 : 16;
  const record = new Uint8Array(headerLength + captured.length);
  const view = new DataView(record.buffer);
  const time = exactTime(frame.time);
  if (time.seconds < 0 || time.seconds > 0xffffffff) throw new RangeError(`time ${time.seconds} s does not fit classic pcap's 32-bit seconds`);
  const nano = options.resolution === 'nano' && !options.modified;
  view.setUint32(0, time.seconds >>> 0, le);
  view.setUint32(4, nano ? time.nanoseconds : Math.floor(time.nanoseconds / 1000), le);
  view.setUint32(8, captured.length, le);
  view.setUint32(12, Math.max(frame.originalLength ?? frame.data.length, frame.data.length), le);
  record.set(captured, headerLength);
  return record;
}

/** A whole classic pcap file. */
export function writePcap(frames: Iterable<CaptureFrame>, options: PcapOptions): Uint8Array {
  const parts = [encodePcapHeader(options)];
  for (const frame of frames) parts.push(encodePcapRecord(frame, options));
  return concatBytes(parts);
}

function pad4(length: number): number {
  return (length + 3) & ~3;
}

/** Options as code/length/value triples ending in opt_endofopt; empty when there are none. */
function encodeOptions(options: ReadonlyArray<readonly [number, Uint8Array]>, le: boolean): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  let size = 4;
  for (const [, value] of options) size += 4 + pad4(value.length);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const [code, value] of options) {
    view.setUint16(offset, code, le);
    view.setUint16(offset + 2, value.length, le);
    out.set(value, offset + 4);
    offset += 4 + pad4(value.length);
  }
  return out;
}

function encodeBlock(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const length = 12 + pad4(body.length);
  const block = new Uint8Array(length);
  const view = new DataView(block.buffer);
  view.setUint32(0, type, le);
  view.setUint32(4, length, le);
  block.set(body, 8);
  view.setUint32(length - 4, length, le);
  return block;
}

/** Section Header Block and one Interface Description Block per interface. */
export function encodePcapngHeader(options: PcapngOptions): Uint8Array {
  const le = (options.byteOrder ?? 'little') === 'little';
  const shb = new Uint8Array(16);
  const shbView = new DataView(shb.buffer);
  shbView.setUint32(0, 0x1a2b3c4d, le);
  shbView.setUint16(4, 1, le);
  shbView.setUint16(6, 0, le);
  shbView.setBigInt64(8, -1n, le); // section length not given
  const parts = [encodeBlock(PcapngBlockType.SECTION_HEADER, shb, le)];
  for (const iface of options.interfaces) {
    const fixed = new Uint8Array(8);
    const view = new DataView(fixed.buffer);
    view.setUint16(0, iface.linkType, le);
    view.setUint32(4, iface.snapLength ?? 0, le);
    const opts: Array<readonly [number, Uint8Array]> = [];
    if (iface.name !== undefined) opts.push([PcapngOption.IF_NAME, new TextEncoder().encode(iface.name)]);
    const resolution = iface.resolution ?? MICRO_RESOLUTION;
    if (resolution.base !== 10 || resolution.exponent !== 6) {
      opts.push([PcapngOption.IF_TSRESOL, Uint8Array.of((resolution.base === 2 ? 0x80 : 0) | resolution.exponent)]);
    }
    if (iface.offsetSeconds !== undefined) {
      const value = new Uint8Array(8);
      new DataView(value.buffer).setBigInt64(0, BigInt(iface.offsetSeconds), le);
      opts.push([PcapngOption.IF_TSOFFSET, value]);
    }
    parts.push(encodeBlock(PcapngBlockType.INTERFACE_DESCRIPTION, concatBytes([fixed, encodeOptions(opts, le)]), le));
  }
  return concatBytes(parts);
}

/** Timestamp units for `time` at `resolution` (the if_tsoffset is subtracted first). */
function timestampUnits(time: FrameTime, resolution: TimestampResolution, offsetSeconds: number): bigint {
  const seconds = BigInt(time.seconds - offsetSeconds);
  const nanos = BigInt(time.nanoseconds);
  if (resolution.base === 10) {
    const perSecond = 10n ** BigInt(resolution.exponent);
    return seconds * perSecond + (nanos * perSecond) / 1_000_000_000n;
  }
  const perSecond = 1n << BigInt(resolution.exponent);
  return seconds * perSecond + (nanos * perSecond + 500_000_000n) / 1_000_000_000n;
}

function isRawBlock(record: PcapngRecord): record is PcapngRawBlock {
  return 'blockType' in record;
}

/** One pcapng block for a packet or a raw block, in a section described by `options`. */
export function encodePcapngRecord(record: PcapngRecord, options: PcapngOptions): Uint8Array {
  const le = (options.byteOrder ?? 'little') === 'little';
  if (isRawBlock(record)) return encodeBlock(record.blockType, record.body, le);
  const interfaceId = record.block === 'simple' ? 0 : (record.interfaceId ?? 0);
  const iface = options.interfaces[interfaceId];
  if (!iface) throw new RangeError(`packet names interface ${interfaceId}, but only ${options.interfaces.length} are declared`);
  const snap = iface.snapLength ?? 0;
  const captured = snap > 0 && record.data.length > snap ? record.data.subarray(0, snap) : record.data;
  const originalLength = Math.max(record.originalLength ?? record.data.length, record.data.length);
  if (record.block === 'simple') {
    const body = new Uint8Array(4 + pad4(captured.length));
    new DataView(body.buffer).setUint32(0, originalLength, le);
    body.set(captured, 4);
    return encodeBlock(PcapngBlockType.SIMPLE_PACKET, body, le);
  }
  const opts = record.comment !== undefined ? encodeOptions([[PcapngOption.COMMENT, new TextEncoder().encode(record.comment)]], le) : new Uint8Array(0);
  const body = new Uint8Array(20 + pad4(captured.length) + opts.length);
  const view = new DataView(body.buffer);
  const units = timestampUnits(exactTime(record.time), iface.resolution ?? MICRO_RESOLUTION, iface.offsetSeconds ?? 0);
  if (units < 0n || units >= 1n << 64n) {
    throw new RangeError(`time ${JSON.stringify(record.time)} does not fit a 64-bit timestamp at this resolution (set offsetSeconds)`);
  }
  if (record.block === 'obsolete') {
    view.setUint16(0, interfaceId, le);
    view.setUint16(2, 0, le); // drops count
  } else {
    view.setUint32(0, interfaceId, le);
  }
  view.setUint32(4, Number((units >> 32n) & 0xffffffffn), le);
  view.setUint32(8, Number(units & 0xffffffffn), le);
  view.setUint32(12, captured.length, le);
  view.setUint32(16, originalLength, le);
  body.set(captured, 20);
  body.set(opts, 20 + pad4(captured.length));
  return encodeBlock(record.block === 'obsolete' ? PcapngBlockType.OBSOLETE_PACKET : PcapngBlockType.ENHANCED_PACKET, body, le);
}

/** A whole pcapng section: header, interfaces, then the records in order. */
export function writePcapng(records: Iterable<PcapngRecord>, options: PcapngOptions): Uint8Array {
  const parts = [encodePcapngHeader(options)];
  for (const record of records) parts.push(encodePcapngRecord(record, options));
  return concatBytes(parts);
}

export type PcapFileWriterOptions =
  | ({ readonly format: 'pcap' } & PcapOptions)
  | ({ readonly format: 'pcapng' } & PcapngOptions);

/** Buffered bytes that trigger a write to the file. */
const FLUSH_THRESHOLD = 256 * 1024;

/**
 * Appends frames to a capture file as they come (the embedded PBX writes captures while a call runs).
 * `append` is synchronous and buffers; the buffer is written out in the background past 256 KiB,
 * and `flush`/`close` wait for everything to be on disk. A reader sees a valid (possibly truncated) capture at any time.
 */
export class PcapFileWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closed = false;
  private frameCount = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly options: PcapFileWriterOptions,
  ) {}

  /** Create (or truncate) `path` and write the file header. */
  static async create(path: string, options: PcapFileWriterOptions): Promise<PcapFileWriter> {
    const handle = await open(path, 'w');
    const writer = new PcapFileWriter(handle, options);
    writer.push(options.format === 'pcap' ? encodePcapHeader(options) : encodePcapngHeader(options));
    await writer.flush();
    return writer;
  }

  get framesWritten(): number {
    return this.frameCount;
  }

  append(frame: PcapngPacket): void {
    if (this.closed) throw new Error('PcapFileWriter: append after close');
    this.push(this.options.format === 'pcap' ? encodePcapRecord(frame, this.options) : encodePcapngRecord(frame, this.options));
    this.frameCount++;
    if (this.pendingBytes >= FLUSH_THRESHOLD) this.startWrite();
  }

  /** Write a raw pcapng block (pcapng files only). */
  appendBlock(block: PcapngRawBlock): void {
    if (this.options.format !== 'pcapng') throw new Error('PcapFileWriter: raw blocks need the pcapng format');
    if (this.closed) throw new Error('PcapFileWriter: append after close');
    this.push(encodePcapngRecord(block, this.options));
  }

  /** Wait until everything appended so far is written to the file. */
  async flush(): Promise<void> {
    this.startWrite();
    await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }

  private push(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private startWrite(): void {
    if (this.pendingBytes === 0) return;
    const bytes = concatBytes(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = this.writing.then(async () => {
      if (this.failure !== undefined) return;
      try {
        let offset = 0;
        while (offset < bytes.length) {
          const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
          offset += bytesWritten;
        }
      } catch (error) {
        this.failure = error;
      }
    });
  }
}
