/** One UDP datagram recovered from a capture (after link-layer, VLAN and IP handling, IPv4 fragments reassembled). */
export interface UdpDatagram {
  /** 1-based frame number in the capture file (for the first fragment when reassembled). */
  readonly frame: number;
  /** Capture time in seconds since the Unix epoch (fractional, from the file's own resolution). */
  readonly time: number;
  /**
   * Whole seconds and nanoseconds within the second of `time`, exact to the file's resolution
   * (a double cannot hold epoch nanoseconds exactly). Always set by this reader; optional so that
   * hand-made datagrams in other tests need not carry them.
   */
  readonly seconds?: number;
  readonly nanoseconds?: number;
  /** Source address as text: dotted IPv4 or compressed IPv6. */
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** The UDP payload. It is a view into a buffer that the reader never reuses, so it stays valid. */
  readonly payload: Uint8Array;
}

/**
 * The payload of one TCP segment (no reassembly here: signalling over TCP is framed by its reader). Delivered
 * only to readers that ask for it; the frame still counts as skipped in the stats (not UDP).
 */
export interface TcpSegment {
  readonly frame: number;
  readonly time: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** Sequence number of the first payload byte. */
  readonly sequence: number;
  readonly payload: Uint8Array;
}

/** Summary of what the reader saw, for reports and for comparison with tshark. */
export interface CaptureStats {
  format: 'pcap' | 'pcapng';
  /** Link types seen (pcap LINKTYPE_* numbers). */
  linkTypes: number[];
  frames: number;
  udpDatagrams: number;
  /** Frames that were not IP/UDP (ARP, TCP, unknown link types…) and were skipped. */
  skippedFrames: number;
  /** IPv4 fragments that never completed a datagram. */
  incompleteFragments: number;
  /** UDP datagrams cut short by the capture's snap length: skipped (and also counted in skippedFrames). */
  snapTruncatedDatagrams: number;
  /** Datagrams delivered after reassembling IPv4 or IPv6 fragments (also counted in udpDatagrams). */
  reassembledDatagrams: number;
  /**
   * Runs of damaged records skipped to reach the next sound one, and their bytes (only when reading with
   * `recover`; otherwise damage is a BAD_BLOCK error). `firstDamage` is the file offset of the first.
   */
  damagedRegions: number;
  damagedBytes: number;
  firstDamage?: number;
  /** Records whose timestamp was impossible (a fraction of a second ≥ 1 s): given the time of the record before. */
  repairedTimestamps: number;
}

export type CaptureErrorCode =
  | 'EMPTY'
  | 'NOT_A_CAPTURE'
  | 'TRUNCATED'
  | 'BAD_BLOCK'
  | 'UNSUPPORTED'
  | 'IO';

/** A typed error naming the file and the reason; `offset` is the byte offset where the problem was found. */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
    readonly file: string,
    readonly reason: string,
    readonly offset?: number,
    /** What had been read (and delivered) before the problem; set by the reader for TRUNCATED and BAD_BLOCK. */
    readonly stats?: CaptureStats,
  ) {
    super(`${file}: ${reason}${offset !== undefined ? ` (at byte ${offset})` : ''}`);
  }
}
