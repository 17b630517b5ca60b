/**
 * Bounded IP fragment reassembly shared by IPv4 and IPv6.
 * Memory stays bounded: at most `maxDatagrams` datagrams in progress and `maxHeldBytes` of fragment data;
 * a datagram not completed within `timeoutSeconds` of capture time (Linux uses 30 s) is dropped.
 * Dropped fragments are reported through `onDropped` so the reader can count them as incomplete.
 */

export interface ReassemblyLimits {
  readonly maxDatagrams: number;
  readonly maxHeldBytes: number;
  readonly timeoutSeconds: number;
  /** More pieces than this for one datagram is an attack or garbage, not a real datagram. */
  readonly maxFragmentsPerDatagram: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxDatagrams: 1024,
  maxHeldBytes: 32 * 1024 * 1024,
  timeoutSeconds: 30,
  maxFragmentsPerDatagram: 128,
};

/** IP payloads cannot exceed this (16-bit length fields, no jumbograms). */
const MAX_REASSEMBLED_BYTES = 65535;

/** Where and when the first-seen fragment of a datagram was captured. */
export interface FragmentOrigin {
  readonly frame: number;
  readonly seconds: number;
  readonly nanoseconds: number;
  readonly time: number;
}

interface Piece {
  readonly offset: number;
  readonly data: Uint8Array;
}

interface Entry {
  readonly origin: FragmentOrigin;
  readonly pieces: Piece[];
  /** Length of the whole reassembled payload, known once the last fragment (more-fragments clear) arrives. */
  totalLength: number;
  heldBytes: number;
}

export interface ReassembledPayload {
  readonly origin: FragmentOrigin;
  /** The fragmentable part (for IPv4 the IP payload) put back together, in a fresh buffer. */
  readonly data: Uint8Array;
}

export class FragmentTable {
  private readonly entries = new Map<string, Entry>();
  private heldBytes = 0;

  constructor(
    private readonly onDropped: (fragments: number) => void,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
  ) {}

  get pending(): number {
    return this.entries.size;
  }

  /**
   * Add one fragment (its data is copied, so chunk buffers are not kept alive).
   * Returns the reassembled payload when this fragment completes its datagram, else null.
   */
  add(key: string, offset: number, data: Uint8Array, moreFragments: boolean, origin: FragmentOrigin): ReassembledPayload | null {
    this.expire(origin.time);
    const end = offset + data.length;
    let entry = this.entries.get(key);
    if (end > MAX_REASSEMBLED_BYTES) {
      // A fragment reaching past 64 KiB is malformed; the datagram it belongs to can never be valid.
      if (entry) this.drop(key, entry);
      this.onDropped(1);
      return null;
    }
    if (!entry) {
      while (this.entries.size >= this.limits.maxDatagrams) this.dropOldest();
      entry = { origin, pieces: [], totalLength: -1, heldBytes: 0 };
      this.entries.set(key, entry);
    }
    if (!moreFragments) {
      if (entry.totalLength >= 0 && entry.totalLength !== end) {
        // Two different "last" fragments: inconsistent, give the datagram up.
        this.drop(key, entry);
        this.onDropped(1);
        return null;
      }
      entry.totalLength = end;
    }
    entry.pieces.push({ offset, data: data.slice() });
    entry.heldBytes += data.length;
    this.heldBytes += data.length;
    if (entry.pieces.length > this.limits.maxFragmentsPerDatagram) {
      this.drop(key, entry);
      return null;
    }
    while (this.heldBytes > this.limits.maxHeldBytes && this.entries.size > 0) this.dropOldest();
    if (!this.entries.has(key)) return null;
    return entry.totalLength >= 0 ? this.tryAssemble(key, entry) : null;
  }

  /** Drop datagrams older than the timeout; `now` is capture time in seconds. */
  expire(now: number): void {
    const limit = now - this.limits.timeoutSeconds;
    // Map iteration is insertion order, so the oldest entries come first.
    for (const [key, entry] of this.entries) {
      if (entry.origin.time >= limit) break;
      this.drop(key, entry);
    }
  }

  /** End of capture: everything still pending is incomplete. */
  dropAll(): void {
    for (const [key, entry] of this.entries) this.drop(key, entry);
  }

  private dropOldest(): void {
    const first = this.entries.entries().next();
    if (first.done) return;
    this.drop(first.value[0], first.value[1]);
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.heldBytes -= entry.heldBytes;
    this.onDropped(entry.pieces.length);
  }

  private tryAssemble(key: string, entry: Entry): ReassembledPayload | null {
    const pieces = entry.pieces.slice().sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const piece of pieces) {
      if (piece.offset > covered) return null;
      covered = Math.max(covered, piece.offset + piece.data.length);
    }
    if (covered < entry.totalLength) return null;
    if (covered > entry.totalLength) {
      // Data past the declared end: malformed.
      this.drop(key, entry);
      return null;
    }
    const data = new Uint8Array(entry.totalLength);
    for (const piece of pieces) data.set(piece.data, piece.offset);
    this.entries.delete(key);
    this.heldBytes -= entry.heldBytes;
    return { origin: entry.origin, data };
  }
}
