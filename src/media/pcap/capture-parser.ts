import {
  MAX_RECORD_BYTES,
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_MODIFIED,
  PCAP_MAGIC_NANO,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_SHB_TYPE,
  PcapngBlockType,
  PcapngOption,
} from './constants.js';
import { FrameDecoder } from './frame-decoder.js';
import type { ReassemblyLimits } from './reassembly.js';
import { CaptureError } from './types.js';
import type { CaptureStats, TcpSegment, UdpDatagram } from './types.js';

/** A pcapng interface as its Interface Description Block declared it. */
interface PcapngInterface {
  readonly linkType: number;
  readonly snapLength: number;
  /** Timestamp units per second (10^n or 2^n from if_tsresol; 10^6 by default). */
  readonly unitsPerSecond: number;
  readonly unitsPerSecondBig: bigint;
  /** For decimal resolutions 10^-n: n, else -1. */
  readonly decimalExponent: number;
  /** Nanoseconds per unit for decimal resolutions down to 10^-9, else 0. */
  readonly nanosecondsPerUnit: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  readonly offsetSeconds: number;
}

type State = 'start' | 'pcap' | 'pcapng';

export interface CaptureParserOptions {
  readonly limits?: ReassemblyLimits;
  /** Called for each TCP segment's payload (signalling over TCP); without it TCP is skipped unread. */
  readonly onTcpSegment?: (segment: TcpSegment) => void;
  /**
   * Skip damaged records instead of failing: look for the next place where two sound records follow each other
   * (plausible lengths and times; pcapng's repeated block length), go on from there and count what was skipped.
   * One bad length word then costs a packet or two, not the rest of the call.
   */
  readonly recover?: boolean;
}

/** Block types a resynchronising reader accepts as the next sound block (pcapng spec: SHB, IDB, OPB, SPB, NRB, ISB, EPB, DSB). */
const KNOWN_PCAPNG_BLOCKS = new Set([0x0a0d0d0a, 1, 2, 3, 4, 5, 6, 0x0a]);
/** While resynchronising, a candidate record may claim at most this many bytes when the file gives no snap length. */
const RESYNC_MAX_RECORD = 262144;
/** …and its time may differ from the last sound record's by at most this much (s). */
const RESYNC_MAX_TIME_STEP = 86400;

const TWO_POW_32 = 4294967296;
/** Below this many units per second the 16-bit long division below stays within exact double arithmetic. */
const FAST_DIVISION_LIMIT = 2 ** 36;

/**
 * The format state machine shared by parseCapture (one buffer) and readCapture (a stream of chunks).
 * `parse` consumes every complete record in a buffer and returns where the first incomplete one starts;
 * `needed` then says how many bytes that record needs in all, so a streaming caller can read enough.
 */
export class CaptureParser {
  readonly stats: CaptureStats = {
    format: 'pcap',
    linkTypes: [],
    frames: 0,
    udpDatagrams: 0,
    skippedFrames: 0,
    incompleteFragments: 0,
    snapTruncatedDatagrams: 0,
    reassembledDatagrams: 0,
    damagedRegions: 0,
    damagedBytes: 0,
    repairedTimestamps: 0,
  };
  /** Total bytes the record at the unconsumed position needs (header size while its length is still unknown). */
  needed = 4;

  private readonly decoder: FrameDecoder;
  private state: State = 'start';
  private littleEndian = true;
  // Classic pcap
  private pcapLinkType = 0;
  private pcapRecordHeader = 16;
  private pcapFractionPerSecond = 1e6;
  private pcapNanosPerFraction = 1000;
  // pcapng
  private interfaces: PcapngInterface[] = [];
  private sectionSeen = false;
  /** Simple Packet Blocks carry no time: they get the time of the packet before them. */
  private lastSeconds = 0;
  private lastNanoseconds = 0;
  private lastTime = 0;
  private pcapSnapLength = 0;
  private readonly recover: boolean;
  /** File offset where the damaged run being skipped began, or -1 when reading normally. */
  private damageStart = -1;
  /** Whether a sound record has been read (its time bounds the candidates of a resync). */
  private seenRecord = false;
  /** The buffer being parsed ends the file. */
  private final = false;

  constructor(
    private readonly file: string,
    onDatagram: (datagram: UdpDatagram) => void,
    options: CaptureParserOptions = {},
  ) {
    this.decoder = new FrameDecoder(this.stats, onDatagram, options.limits, options.onTcpSegment);
    this.recover = options.recover ?? false;
  }

  /**
   * Parse complete records in buf[start, end); `position` is the file offset of buf[start].
   * Returns the index in `buf` of the first byte not consumed. `final`: no byte follows `end` (the file ends there),
   * which lets recovery tell a damaged length from a cut file.
   */
  parse(buf: Uint8Array, start: number, end: number, position: number, final = false): number {
    this.final = final;
    try {
      let offset = start;
      if (this.state === 'start') {
        offset = this.parseHead(buf, start, end, position);
        if (this.state === 'start') return offset;
      }
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      return this.state === 'pcap'
        ? this.parsePcapRecords(buf, view, offset, end, position - start)
        : this.parsePcapngBlocks(buf, view, offset, end, position - start);
    } catch (error) {
      // The callback's own errors are the caller's business; anything else from here must leave as a CaptureError.
      if (error instanceof CaptureError || this.decoder.inCallback) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new CaptureError('BAD_BLOCK', this.file, `internal error while parsing: ${reason}`, position, this.stats);
    }
  }

  /**
   * End of input with `remaining` unconsumed bytes at file offset `position`.
   * Returns the stats, or throws EMPTY / NOT_A_CAPTURE / TRUNCATED (the latter after everything complete was delivered).
   */
  finish(remaining: number, position: number): CaptureStats {
    this.decoder.finish();
    if (this.state === 'start') {
      if (position + remaining === 0) throw new CaptureError('EMPTY', this.file, 'empty file: not a capture');
      if (this.needed === 24) {
        // A pcap magic was seen but the 24-byte file header is incomplete.
        throw new CaptureError('TRUNCATED', this.file, `truncated capture: the file ends inside the pcap file header (${remaining} of 24 bytes)`, position, this.stats);
      }
      throw new CaptureError('NOT_A_CAPTURE', this.file, `not a pcap or pcapng file (only ${remaining} bytes)`);
    }
    if (this.damageStart >= 0) {
      // The damage ran to the end of the file: no sound record after it.
      this.endDamage(position + remaining);
      return this.stats;
    }
    if (remaining > 0) {
      const what = this.stats.frames === 0 ? 'header' : 'record';
      throw new CaptureError(
        'TRUNCATED',
        this.file,
        `truncated capture: the file ends in the middle of a ${what} (${remaining} of ${this.needed} bytes) after ${this.stats.frames} complete frames`,
        position,
        this.stats,
      );
    }
    return this.stats;
  }

  private endDamage(soundAt: number): void {
    this.stats.damagedRegions++;
    this.stats.damagedBytes += soundAt - this.damageStart;
    this.stats.firstDamage ??= this.damageStart;
    this.damageStart = -1;
  }

  /** A resync's answer: a sound offset ends the damaged region there; `-(offset + 1)` (wait for more bytes) is passed on. */
  private resumeAt(found: number, base: number): number {
    if (found >= 0) this.endDamage(base + found);
    return found;
  }

  private fail(code: 'BAD_BLOCK' | 'UNSUPPORTED', reason: string, position: number): never {
    throw new CaptureError(code, this.file, reason, position, this.stats);
  }

  private noteLinkType(linkType: number): void {
    if (!this.stats.linkTypes.includes(linkType)) this.stats.linkTypes.push(linkType);
  }

  private parseHead(buf: Uint8Array, start: number, end: number, position: number): number {
    if (end - start < 4) {
      this.needed = 4;
      return start;
    }
    const magicLittle = (buf[start]! | (buf[start + 1]! << 8) | (buf[start + 2]! << 16) | (buf[start + 3]! << 24)) >>> 0;
    const magicBig = ((buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!) >>> 0;
    if (magicLittle === PCAPNG_SHB_TYPE) {
      this.state = 'pcapng';
      this.stats.format = 'pcapng';
      this.needed = 12;
      return start;
    }
    let littleEndian: boolean;
    let magic: number;
    if (magicLittle === PCAP_MAGIC_MICRO || magicLittle === PCAP_MAGIC_NANO || magicLittle === PCAP_MAGIC_MODIFIED) {
      littleEndian = true;
      magic = magicLittle;
    } else if (magicBig === PCAP_MAGIC_MICRO || magicBig === PCAP_MAGIC_NANO || magicBig === PCAP_MAGIC_MODIFIED) {
      littleEndian = false;
      magic = magicBig;
    } else {
      const shown = magicBig.toString(16).padStart(8, '0');
      throw new CaptureError('NOT_A_CAPTURE', this.file, `not a pcap or pcapng file (magic 0x${shown})`, position);
    }
    if (end - start < 24) {
      this.needed = 24;
      return start;
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.littleEndian = littleEndian;
    this.pcapRecordHeader = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    this.pcapFractionPerSecond = magic === PCAP_MAGIC_NANO ? 1e9 : 1e6;
    this.pcapNanosPerFraction = magic === PCAP_MAGIC_NANO ? 1 : 1000;
    // The low 16 bits are the link type; the high bits may carry FCS information (pcap spec, LinkType field).
    this.pcapLinkType = view.getUint32(start + 20, littleEndian) & 0xffff;
    this.pcapSnapLength = view.getUint32(start + 16, littleEndian);
    this.noteLinkType(this.pcapLinkType);
    this.state = 'pcap';
    this.stats.format = 'pcap';
    this.needed = this.pcapRecordHeader;
    return start + 24;
  }

  private parsePcapRecords(buf: Uint8Array, view: DataView, start: number, end: number, base: number): number {
    const le = this.littleEndian;
    const headerLength = this.pcapRecordHeader;
    const perSecond = this.pcapFractionPerSecond;
    const nanosPerFraction = this.pcapNanosPerFraction;
    const linkType = this.pcapLinkType;
    const decoder = this.decoder;
    const recover = this.recover;
    let offset = start;
    for (;;) {
      if (this.damageStart >= 0) {
        offset = this.resumeAt(this.resyncPcap(view, offset, end), base);
        if (offset < 0) return -offset - 1;
      }
      if (end - offset < headerLength) {
        this.needed = headerLength;
        return offset;
      }
      const capturedLength = view.getUint32(offset + 8, le);
      if (capturedLength > MAX_RECORD_BYTES && !recover) {
        this.fail('BAD_BLOCK', `record claims ${capturedLength} captured bytes (more than 256 MiB): not a valid record`, base + offset);
      }
      if (recover && !this.soundPcapLength(view, offset)) {
        this.damageStart = base + offset;
        offset++;
        continue;
      }
      const total = headerLength + capturedLength;
      if (end - offset < total) {
        // At the end of the file a record running past it is a cut, unless sound records follow inside its claimed length.
        if (recover && this.final && this.resyncPcap(view, offset + 1, end) >= 0) {
          this.damageStart = base + offset;
          offset++;
          continue;
        }
        this.needed = total;
        return offset;
      }
      let seconds = view.getUint32(offset, le);
      let fraction = view.getUint32(offset + 4, le);
      if (fraction >= perSecond && recover && this.seenRecord) {
        // An impossible fraction of a second: the record is sound but its clock reading is not.
        this.stats.repairedTimestamps++;
        seconds = this.lastSeconds;
        fraction = this.lastNanoseconds / nanosPerFraction;
      }
      this.seenRecord = true;
      this.lastSeconds = seconds;
      this.lastNanoseconds = fraction * nanosPerFraction;
      const originalLength = view.getUint32(offset + 12, le);
      const frame = ++this.stats.frames;
      decoder.decode(
        linkType,
        buf,
        offset + headerLength,
        capturedLength,
        originalLength,
        frame,
        seconds,
        fraction * nanosPerFraction,
        seconds + fraction / perSecond,
      );
      offset += total;
    }
  }

  /** The most a record of this file can hold: its snap length (at least 64 KiB), or 256 KiB without one. */
  private pcapRecordLimit(): number {
    const snap = this.pcapSnapLength;
    return snap > 0 && snap <= MAX_RECORD_BYTES ? Math.max(snap, 65535) : RESYNC_MAX_RECORD;
  }

  /** A record header's lengths are possible: within the record limit and no more than the original length. */
  private soundPcapLength(view: DataView, offset: number): boolean {
    const captured = view.getUint32(offset + 8, this.littleEndian);
    const original = view.getUint32(offset + 12, this.littleEndian);
    return captured <= this.pcapRecordLimit() && captured <= original && original <= MAX_RECORD_BYTES;
  }

  /**
   * A candidate record header at `offset`: sound lengths, something captured, a possible fraction and a time near
   * `reference` (the last sound record's, or the candidate before it in a chain).
   */
  private plausiblePcapRecord(view: DataView, offset: number, reference: number | undefined): boolean {
    if (!this.soundPcapLength(view, offset) || view.getUint32(offset + 8, this.littleEndian) === 0) return false;
    if (view.getUint32(offset + 4, this.littleEndian) >= this.pcapFractionPerSecond) return false;
    return reference === undefined || Math.abs(view.getUint32(offset, this.littleEndian) - reference) <= RESYNC_MAX_TIME_STEP;
  }

  /**
   * Look from `offset` for a plausible record followed by more plausible records with times near its own (one more
   * after a sound record was read, whose time also bounds the candidate; two more before any), or by the end of
   * the data, which only the end of the file can confirm. Returns its index, or -(index + 1) of where to go on
   * when more bytes are needed (with `needed` set).
   */
  private resyncPcap(view: DataView, offset: number, end: number): number {
    const headerLength = this.pcapRecordHeader;
    const le = this.littleEndian;
    const followers = this.seenRecord ? 1 : 2;
    for (let candidate = offset; ; candidate++) {
      if (end - candidate < headerLength) {
        this.needed = headerLength;
        return -(candidate + 1);
      }
      if (!this.plausiblePcapRecord(view, candidate, this.seenRecord ? this.lastSeconds : undefined)) continue;
      let at = candidate;
      let verdict: 'sound' | 'unsound' | 'more' = 'sound';
      for (let n = 0; n < followers; n++) {
        const next = at + headerLength + view.getUint32(at + 8, le);
        if (this.final && next === end) break;
        if (end - next < headerLength) {
          verdict = this.final ? 'unsound' : 'more';
          if (verdict === 'more') this.needed = next + headerLength - candidate;
          break;
        }
        if (!this.plausiblePcapRecord(view, next, view.getUint32(at, le))) {
          verdict = 'unsound';
          break;
        }
        at = next;
      }
      if (verdict === 'sound') return candidate;
      if (verdict === 'more') return -(candidate + 1);
    }
  }

  private parsePcapngBlocks(buf: Uint8Array, view: DataView, start: number, end: number, base: number): number {
    let offset = start;
    const recover = this.recover;
    for (;;) {
      if (this.damageStart >= 0) {
        offset = this.resumeAt(this.resyncPcapng(view, offset, end), base);
        if (offset < 0) return -offset - 1;
      }
      const available = end - offset;
      if (available < 8) {
        this.needed = 12;
        return offset;
      }
      const rawType = view.getUint32(offset, true);
      if (rawType === PCAPNG_SHB_TYPE) {
        // The section's byte order is only known from its byte-order magic, after the length.
        if (available < 12) {
          this.needed = 12;
          return offset;
        }
        const bom = view.getUint32(offset + 8, true);
        if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = true;
        else if (bom === 0x4d3c2b1a) this.littleEndian = false;
        else this.fail('BAD_BLOCK', `section header has a bad byte-order magic 0x${bom.toString(16).padStart(8, '0')}`, base + offset);
      } else if (!this.sectionSeen) {
        this.fail('BAD_BLOCK', 'pcapng data before any section header block', base + offset);
      }
      const le = this.littleEndian;
      const type = rawType === PCAPNG_SHB_TYPE ? rawType : view.getUint32(offset, le);
      const length = view.getUint32(offset + 4, le);
      if (length < 12 || length % 4 !== 0 || length > MAX_RECORD_BYTES || (recover && length > RESYNC_MAX_RECORD + 64 && this.seenRecord)) {
        if (recover && this.sectionSeen) {
          this.damageStart = base + offset;
          offset++;
          continue;
        }
        this.fail('BAD_BLOCK', `block of type 0x${type.toString(16)} has an invalid length ${length}`, base + offset);
      }
      if (available < length) {
        if (recover && this.final && this.sectionSeen && this.resyncPcapng(view, offset + 1, end) >= 0) {
          this.damageStart = base + offset;
          offset++;
          continue;
        }
        this.needed = length;
        return offset;
      }
      const trailer = view.getUint32(offset + length - 4, le);
      if (trailer !== length || (recover && !this.soundPacketBlock(view, offset, type, length))) {
        if (recover && this.sectionSeen) {
          this.damageStart = base + offset;
          offset++;
          continue;
        }
        this.fail('BAD_BLOCK', `block of type 0x${type.toString(16)} has length ${length} but trailing length ${trailer}`, base + offset);
      }
      if (type === PcapngBlockType.ENHANCED_PACKET || type === PcapngBlockType.SIMPLE_PACKET || type === PcapngBlockType.OBSOLETE_PACKET) this.seenRecord = true;
      switch (type) {
        case PcapngBlockType.SECTION_HEADER:
          this.sectionHeader(view, offset, length, base);
          break;
        case PcapngBlockType.INTERFACE_DESCRIPTION:
          this.interfaceDescription(view, offset, length, base);
          break;
        case PcapngBlockType.ENHANCED_PACKET:
          this.packetBlock(buf, view, offset, length, base, false);
          break;
        case PcapngBlockType.OBSOLETE_PACKET:
          this.packetBlock(buf, view, offset, length, base, true);
          break;
        case PcapngBlockType.SIMPLE_PACKET:
          this.simplePacketBlock(buf, view, offset, length, base);
          break;
        default:
          // Name resolution, statistics, decryption secrets, custom blocks…: nothing for us, skipped by length.
          break;
      }
      offset += length;
    }
  }

  /** What packetBlock and simplePacketBlock would refuse, checked first so that recovery can skip the block instead. */
  private soundPacketBlock(view: DataView, offset: number, type: number, length: number): boolean {
    if (type === PcapngBlockType.SIMPLE_PACKET) return length >= 16 && this.interfaces.length > 0;
    if (type !== PcapngBlockType.ENHANCED_PACKET && type !== PcapngBlockType.OBSOLETE_PACKET) return true;
    if (length < 32) return false;
    const le = this.littleEndian;
    const interfaceId = type === PcapngBlockType.OBSOLETE_PACKET ? view.getUint16(offset + 8, le) : view.getUint32(offset + 8, le);
    return interfaceId < this.interfaces.length && view.getUint32(offset + 20, le) <= length - 32;
  }

  /** Look from `offset` for a block of a known type whose lengths agree (pcapng repeats the length at the block's end). */
  private resyncPcapng(view: DataView, offset: number, end: number): number {
    const le = this.littleEndian;
    for (let candidate = offset; ; candidate++) {
      if (end - candidate < 12) {
        this.needed = 12;
        return -(candidate + 1);
      }
      const type = view.getUint32(candidate, le);
      if (!KNOWN_PCAPNG_BLOCKS.has(type)) continue;
      const length = view.getUint32(candidate + 4, le);
      if (length < 12 || length % 4 !== 0 || length > RESYNC_MAX_RECORD + 64) continue;
      if (end - candidate < length) {
        if (this.final) continue;
        this.needed = length;
        return -(candidate + 1);
      }
      if (view.getUint32(candidate + length - 4, le) !== length) continue;
      if (type === PcapngBlockType.SECTION_HEADER || this.soundPacketBlock(view, candidate, type, length)) return candidate;
    }
  }

  private sectionHeader(view: DataView, offset: number, length: number, base: number): void {
    if (length < 28) this.fail('BAD_BLOCK', `section header block of length ${length} (minimum 28)`, base + offset);
    const major = view.getUint16(offset + 12, this.littleEndian);
    if (major !== 1) this.fail('UNSUPPORTED', `pcapng version ${major} is not supported (only 1.x)`, base + offset);
    this.sectionSeen = true;
    // Interface numbers restart in each section.
    this.interfaces = [];
  }

  private interfaceDescription(view: DataView, offset: number, length: number, base: number): void {
    const le = this.littleEndian;
    if (length < 20) this.fail('BAD_BLOCK', `interface description block of length ${length} (minimum 20)`, base + offset);
    const linkType = view.getUint16(offset + 8, le);
    const snapLength = view.getUint32(offset + 12, le);
    let resolutionByte = 6;
    let offsetSeconds = 0;
    const optionsEnd = offset + length - 4;
    for (let p = offset + 16; p + 4 <= optionsEnd; ) {
      const code = view.getUint16(p, le);
      const optionLength = view.getUint16(p + 2, le);
      if (code === PcapngOption.END) break;
      const value = p + 4;
      if (value + optionLength > optionsEnd) this.fail('BAD_BLOCK', `interface option ${code} runs past its block`, base + p);
      if (code === PcapngOption.IF_TSRESOL && optionLength >= 1) resolutionByte = view.getUint8(value);
      if (code === PcapngOption.IF_TSOFFSET && optionLength >= 8) offsetSeconds = Number(view.getBigInt64(value, le));
      p = value + ((optionLength + 3) & ~3);
    }
    const binary = (resolutionByte & 0x80) !== 0;
    const exponent = resolutionByte & 0x7f;
    // Finer than picoseconds (10^-12) or 2^-40 is nobody's clock; refuse rather than compute nonsense.
    if ((binary && exponent > 40) || (!binary && exponent > 12)) {
      this.fail('UNSUPPORTED', `interface timestamp resolution ${binary ? '2' : '10'}^-${exponent} is not supported`, base + offset);
    }
    const unitsPerSecond = binary ? 2 ** exponent : 10 ** exponent;
    this.interfaces.push({
      linkType,
      snapLength,
      unitsPerSecond,
      unitsPerSecondBig: binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent),
      decimalExponent: binary ? -1 : exponent,
      nanosecondsPerUnit: !binary && exponent <= 9 ? 10 ** (9 - exponent) : 0,
      offsetSeconds,
    });
    this.noteLinkType(linkType);
  }

  /** Enhanced Packet Block, or the Obsolete Packet Block (16-bit interface id, then a drops count). */
  private packetBlock(buf: Uint8Array, view: DataView, offset: number, length: number, base: number, obsolete: boolean): void {
    const le = this.littleEndian;
    if (length < 32) this.fail('BAD_BLOCK', `packet block of length ${length} (minimum 32)`, base + offset);
    const interfaceId = obsolete ? view.getUint16(offset + 8, le) : view.getUint32(offset + 8, le);
    const high = view.getUint32(offset + 12, le);
    const low = view.getUint32(offset + 16, le);
    const capturedLength = view.getUint32(offset + 20, le);
    const originalLength = view.getUint32(offset + 24, le);
    if (capturedLength > length - 32) {
      this.fail('BAD_BLOCK', `packet block claims ${capturedLength} captured bytes but has room for ${length - 32}`, base + offset);
    }
    const iface = this.interfaces[interfaceId];
    if (iface === undefined) {
      this.fail('BAD_BLOCK', `packet names interface ${interfaceId} but the section declares ${this.interfaces.length}`, base + offset);
    }
    this.setTime(iface, high, low);
    this.decodePcapngFrame(iface.linkType, buf, offset + 28, capturedLength, originalLength);
  }

  /** Passes one packet of a pcapng section on, stamped with the time its block set. */
  private decodePcapngFrame(linkType: number, buf: Uint8Array, at: number, capturedLength: number, originalLength: number): void {
    const frame = ++this.stats.frames;
    this.decoder.decode(linkType, buf, at, capturedLength, originalLength, frame, this.lastSeconds, this.lastNanoseconds, this.lastTime);
  }

  private simplePacketBlock(buf: Uint8Array, view: DataView, offset: number, length: number, base: number): void {
    if (length < 16) this.fail('BAD_BLOCK', `simple packet block of length ${length} (minimum 16)`, base + offset);
    const iface = this.interfaces[0];
    if (iface === undefined) this.fail('BAD_BLOCK', 'simple packet block in a section with no interface', base + offset);
    const originalLength = view.getUint32(offset + 8, this.littleEndian);
    // The captured length is not stored: it is the original length, limited by the block and the snap length.
    let capturedLength = Math.min(originalLength, length - 16);
    if (iface.snapLength > 0) capturedLength = Math.min(capturedLength, iface.snapLength);
    this.decodePcapngFrame(iface.linkType, buf, offset + 12, capturedLength, originalLength);
  }

  /** Split a 64-bit timestamp of `iface` units into whole seconds and the rest, exactly. */
  private setTime(iface: PcapngInterface, high: number, low: number): void {
    const perSecond = iface.unitsPerSecond;
    let seconds: number;
    let rest: number;
    if (high < 0x200000) {
      // Below 2^53 the units are an exact double.
      const units = high * TWO_POW_32 + low;
      seconds = Math.floor(units / perSecond);
      rest = units - seconds * perSecond;
      if (rest < 0) {
        seconds--;
        rest += perSecond;
      } else if (rest >= perSecond) {
        seconds++;
        rest -= perSecond;
      }
    } else if (perSecond < FAST_DIVISION_LIMIT) {
      // Long division in base 2^16: every partial value stays below 2^53.
      seconds = 0;
      rest = 0;
      const limbs0 = high >>> 16;
      const limbs1 = high & 0xffff;
      const limbs2 = low >>> 16;
      const limbs3 = low & 0xffff;
      let current = limbs0;
      let digit = Math.floor(current / perSecond);
      rest = current - digit * perSecond;
      seconds = digit;
      current = rest * 65536 + limbs1;
      digit = Math.floor(current / perSecond);
      rest = current - digit * perSecond;
      seconds = seconds * 65536 + digit;
      current = rest * 65536 + limbs2;
      digit = Math.floor(current / perSecond);
      rest = current - digit * perSecond;
      seconds = seconds * 65536 + digit;
      current = rest * 65536 + limbs3;
      digit = Math.floor(current / perSecond);
      rest = current - digit * perSecond;
      seconds = seconds * 65536 + digit;
    } else {
      const units = (BigInt(high) << 32n) | BigInt(low);
      seconds = Number(units / iface.unitsPerSecondBig);
      rest = Number(units % iface.unitsPerSecondBig);
    }
    const exponent = iface.decimalExponent;
    let nanoseconds: number;
    if (iface.nanosecondsPerUnit !== 0) nanoseconds = rest * iface.nanosecondsPerUnit;
    else if (exponent > 9) nanoseconds = Math.floor(rest / 10 ** (exponent - 9));
    else if (perSecond <= TWO_POW_32) nanoseconds = Math.floor((rest * 1953125) / (perSecond / 512)); // 1e9 = 2^9 · 1953125: exact below 2^53
    else nanoseconds = Number((BigInt(rest) * 1_000_000_000n) / iface.unitsPerSecondBig);
    this.lastSeconds = seconds + iface.offsetSeconds;
    this.lastNanoseconds = nanoseconds;
    this.lastTime = this.lastSeconds + rest / perSecond;
  }
}
