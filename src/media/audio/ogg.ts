// The Ogg container (RFC 3533) as Ogg Opus (RFC 7845) uses it: pages of packets, each page with its granule
// position and a CRC. Written by hand: the npm packages for Ogg are native bindings (node-ogg) or whole media
// frameworks compiled to WebAssembly; a page is 27 bytes of header and a lacing table.

/** Page header flags. */
export const OGG_CONTINUED = 0x01;
export const OGG_FIRST_PAGE = 0x02;
export const OGG_LAST_PAGE = 0x04;

const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"
const HEADER_BYTES = 27;
/** A page's lacing table has at most 255 entries. */
const MAX_SEGMENTS = 255;

/** CRC-32 of Ogg: polynomial 0x04c11db7, not reflected, initial 0, no final XOR. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    table[i] = crc >>> 0;
  }
  return table;
})();

const CRC_FIELD_ZERO = new Uint8Array(4);

/** The CRC of `bytes`, going on from `crc` (the CRC of what came before them). */
export function oggCrc(bytes: Uint8Array, crc = 0): number {
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return crc >>> 0;
}

/** Lacing values of one packet: 255 for each full segment, then the rest (0 when the length is a multiple of 255). */
function lacingOf(length: number): number[] {
  const values = new Array<number>(Math.floor(length / 255)).fill(255);
  values.push(length % 255);
  return values;
}

/** One page: header, lacing table and the packets' bytes, with its CRC. */
export function buildOggPage(serial: number, sequence: number, granule: bigint, flags: number, packets: readonly Uint8Array[]): Uint8Array {
  const lacing = packets.flatMap((packet) => lacingOf(packet.length));
  if (lacing.length > MAX_SEGMENTS) throw new RangeError(`an Ogg page takes at most ${MAX_SEGMENTS} segments, not ${lacing.length}`);
  const bodyBytes = packets.reduce((n, packet) => n + packet.length, 0);
  const page = new Uint8Array(HEADER_BYTES + lacing.length + bodyBytes);
  const view = new DataView(page.buffer);
  page.set(CAPTURE, 0);
  page[4] = 0; // stream structure version
  page[5] = flags;
  view.setBigInt64(6, granule, true);
  view.setUint32(14, serial, true);
  view.setUint32(18, sequence, true);
  page[26] = lacing.length;
  page.set(lacing, HEADER_BYTES);
  let offset = HEADER_BYTES + lacing.length;
  for (const packet of packets) {
    page.set(packet, offset);
    offset += packet.length;
  }
  view.setUint32(22, oggCrc(page), true);
  return page;
}

/**
 * Packets in, pages out: packets are gathered until a page holds `packetsPerPage` of them (or its lacing table is
 * full), then the page goes to `sink` with the granule position of its last packet. Packets never span pages here
 * (an Opus packet is at most 1,275 bytes).
 */
export class OggStreamWriter {
  #sequence = 0;
  #pending: Uint8Array[] = [];
  #pendingSegments = 0;
  #granule = 0n;

  constructor(
    readonly serial: number,
    private readonly sink: (page: Uint8Array) => void,
    private readonly packetsPerPage = 50,
  ) {}

  /** A header packet (identification, comments): alone on its page; the first one opens the stream. */
  header(packet: Uint8Array): void {
    this.flush();
    this.#emit(this.#sequence === 0 ? OGG_FIRST_PAGE : 0, 0n, [packet]);
  }

  /** An audio packet; `granule` is the position after it (what a page ending with it carries). */
  packet(packet: Uint8Array, granule: bigint): void {
    const segments = Math.floor(packet.length / 255) + 1;
    if (this.#pendingSegments + segments > MAX_SEGMENTS) this.flush();
    this.#pending.push(packet);
    this.#pendingSegments += segments;
    this.#granule = granule;
    if (this.#pending.length >= this.packetsPerPage) this.flush();
  }

  /** Put what is gathered on a page now. */
  flush(): void {
    if (this.#pending.length === 0) return;
    this.#emit(0, this.#granule, this.#pending);
    this.#pending = [];
    this.#pendingSegments = 0;
  }

  /** The last page, marked as such, whose granule position `granule` tells decoders where the audio ends. */
  finish(granule: bigint): void {
    this.#emit(OGG_LAST_PAGE, granule, this.#pending);
    this.#pending = [];
    this.#pendingSegments = 0;
  }

  #emit(flags: number, granule: bigint, packets: readonly Uint8Array[]): void {
    this.sink(buildOggPage(this.serial, this.#sequence++, granule, flags, packets));
  }
}

/** A packet read back, with what the page it ended on said. */
export interface OggPacket {
  readonly data: Uint8Array;
  /** The granule position of the page the packet ends on, when it is that page's last packet; otherwise -1. */
  readonly granule: bigint;
  /** Whether that page is the stream's last. */
  readonly lastPage: boolean;
}

export class OggFormatError extends Error {
  override readonly name = 'OggFormatError';
}

/**
 * Pages in (any piece sizes), packets out, one logical stream: checks the capture pattern, the version, the CRC of
 * every page and that sequence numbers follow each other; a packet continued over pages is joined.
 */
export class OggPacketReader {
  #buffer = new Uint8Array(0);
  #partial: Uint8Array[] = [];
  #serial: number | undefined;
  #sequence = -1;
  /** Bytes of pages read so far (for error messages). */
  #offset = 0;

  constructor(private readonly label = 'Ogg stream') {}

  push(piece: Uint8Array): OggPacket[] {
    const joined = new Uint8Array(this.#buffer.length + piece.length);
    joined.set(this.#buffer);
    joined.set(piece, this.#buffer.length);
    const packets: OggPacket[] = [];
    let at = 0;
    for (;;) {
      if (joined.length - at < HEADER_BYTES) break;
      const segments = joined[at + 26]!;
      if (joined.length - at < HEADER_BYTES + segments) break;
      const lacing = joined.subarray(at + HEADER_BYTES, at + HEADER_BYTES + segments);
      const bodyBytes = lacing.reduce((n, v) => n + v, 0);
      const pageBytes = HEADER_BYTES + segments + bodyBytes;
      if (joined.length - at < pageBytes) break;
      this.#page(joined.subarray(at, at + pageBytes), lacing, packets);
      at += pageBytes;
      this.#offset += pageBytes;
    }
    this.#buffer = joined.slice(at);
    return packets;
  }

  /** Call at the end: bytes left over are a cut page. */
  end(): void {
    if (this.#buffer.length > 0 || this.#partial.length > 0) throw new OggFormatError(`${this.label}: cut short at byte ${this.#offset + this.#buffer.length} (an incomplete page)`);
  }

  #page(page: Uint8Array, lacing: Uint8Array, packets: OggPacket[]): void {
    if (!CAPTURE.every((b, i) => page[i] === b)) throw new OggFormatError(`${this.label}: no Ogg page at byte ${this.#offset}`);
    if (page[4] !== 0) throw new OggFormatError(`${this.label}: Ogg version ${page[4]} at byte ${this.#offset}`);
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const stored = view.getUint32(22, true);
    // The CRC is computed with its own field zero: over the bytes before it, four zeros and the rest.
    if (oggCrc(page.subarray(26), oggCrc(CRC_FIELD_ZERO, oggCrc(page.subarray(0, 22)))) !== stored) throw new OggFormatError(`${this.label}: the page at byte ${this.#offset} fails its CRC`);
    const serial = view.getUint32(14, true);
    const sequence = view.getUint32(18, true);
    if (this.#serial !== undefined && serial !== this.#serial) throw new OggFormatError(`${this.label}: a second logical stream (serial ${serial}) at byte ${this.#offset}`);
    if (this.#sequence >= 0 && sequence !== this.#sequence + 1) throw new OggFormatError(`${this.label}: page ${this.#sequence + 1} missing (page ${sequence} at byte ${this.#offset})`);
    this.#serial = serial;
    this.#sequence = sequence;
    const flags = page[5]!;
    const granule = view.getBigInt64(6, true);
    if (!(flags & OGG_CONTINUED)) this.#partial = [];
    let offset = HEADER_BYTES + lacing.length;
    const ended: Uint8Array[] = [];
    for (const value of lacing) {
      this.#partial.push(page.subarray(offset, offset + value));
      offset += value;
      if (value < 255) {
        const size = this.#partial.reduce((n, p) => n + p.length, 0);
        const data = new Uint8Array(size);
        let o = 0;
        for (const part of this.#partial) {
          data.set(part, o);
          o += part.length;
        }
        ended.push(data);
        this.#partial = [];
      }
    }
    ended.forEach((data, i) => packets.push({ data, granule: i === ended.length - 1 ? granule : -1n, lastPage: (flags & OGG_LAST_PAGE) !== 0 }));
  }
}
