import { SampleTrack } from '../audio/index.js';
import type { SampleTrackOptions } from '../audio/index.js';
import { createStreamDecoder } from '../codecs/index.js';
import type { CodecName, StreamDecoder } from '../codecs/index.js';
import { DtmfCollector } from '../rtp/index.js';
import type { RtpPacket } from '../rtp/index.js';

/** One end of a UDP flow. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** A key press carried as RFC 4733 telephone events, once per press (the rtp folder's DtmfCollector tells presses apart). */
export interface DtmfEvent {
  /** '0'-'9', '*', '#', 'A'-'D'. */
  readonly digit: string;
  /** Capture time of the first packet of the press (s since epoch). */
  readonly time: number;
  /** Position of the press in the stream's output samples (global timeline). */
  readonly position: number;
  /** Duration in milliseconds (longest reported, long presses' segments summed). */
  readonly durationMs: number;
}

export interface RtpStreamStats {
  /** RTP packets received, duplicates and late ones included (as tshark counts them). */
  packets: number;
  /** Packets whose sequence number had already been received. */
  duplicates: number;
  /** Packets that arrived after their place in the output had been passed (beyond the reorder window). */
  late: number;
  /** Sequence numbers that never arrived. */
  lost: number;
  /** Packets that arrived out of sequence order (and were put back in order). */
  reordered: number;
  /** Comfort-noise (PT 13) packets. */
  comfortNoise: number;
  /** RFC 4733 telephone-event packets. */
  telephoneEvents: number;
  /** Packets of a payload type we cannot decode. */
  undecodable: number;
  /** SSRCs in order of appearance. */
  ssrcs: number[];
  /** Times the timeline was re-anchored because the RTP timestamp jumped against capture time (confirmed by the packet after). */
  timestampJumps: number;
  /**
   * Packets whose capture time or RTP timestamp disagreed with the packets on both sides of them (a corrupt
   * record, one bad clock reading): placed between their neighbours instead of opening a gap on their word alone.
   */
  timeOutliers: number;
  /**
   * Re-anchors where the capture clock was overruled by the sender's timestamps: it had run ahead of audio sent
   * without a break faster than any real clock drifts (a damaged timestamp resolution stretches every arrival), so
   * that run and the pauses after it were measured by the sender's clock instead of opening gaps on the capture's.
   */
  clockRunaways: number;
  payloadTypes: number[];
  firstTime: number;
  lastTime: number;
}

/** What the demuxer knows about a payload type on this stream. */
export type PayloadKind = { kind: 'audio'; codec: CodecName } | { kind: 'telephone-event' } | { kind: 'comfort-noise' } | { kind: 'unknown'; encoding?: string };

export interface RtpStreamOptions {
  /** Capture time (s) that is sample position 0 of the global timeline. */
  readonly origin: number;
  /** Packets held to restore sequence order (default 50 ≈ 1 s of 20 ms packets). */
  readonly reorderWindow?: number;
  /** Resolves a payload type to what it carries (SDP first, then RFC 3551 static types). */
  readonly payloadKind: (payloadType: number, payloadLength: number) => PayloadKind;
  readonly track?: SampleTrackOptions;
}

/** An audio packet that disagreed with the stream's anchor, held until the next one says whether the stream jumped or it lied. */
interface SuspectPacket {
  readonly entry: PendingPacket;
  readonly decoder: StreamDecoder;
  readonly ratio: number;
  readonly arrival: number;
  /** Its delay against the anchor it disagreed with. */
  readonly delay: number;
  readonly lostPackets: number;
}

interface PendingPacket {
  extSeq: number;
  extTs: number;
  time: number;
  packet: RtpPacket;
  /** The payload is a copy, not a view into the capture reader's buffer. */
  owned?: boolean;
}

/** Sequence/timestamp unwrapping and timeline anchor of one SSRC run. */
interface Segment {
  ssrc: number;
  maxExtSeq: number;
  maxExtTs: number;
  /** Next sequence number to release, undefined before the first release. */
  nextSeq: number | undefined;
  /** Global sample position of extended timestamp `baseTs`, undefined until anchored. */
  offset: number | undefined;
  baseTs: number;
  /** Smallest (arrival position − placed position) seen: the path delay; drift from it reveals timestamp jumps. */
  minDelay: number;
  /** Counts of this SSRC alone (tshark reports per SSRC). */
  readonly counts: SsrcCounts;
}

/** Packet counts of one SSRC of a stream. */
export interface SsrcCounts {
  readonly ssrc: number;
  packets: number;
  lost: number;
  duplicates: number;
}

/** Payload bytes per RTP clock tick of the constant-rate codecs (G.729: a 10-byte frame per 80 ticks). */
const BYTES_PER_RTP_TICK: Readonly<Record<CodecName, number>> = { pcma: 1, pcmu: 1, g722: 1, g729: 1 / 8 };

/** Sequence gaps larger than this are a restart of the sender, not loss. */
const MAX_SEQUENCE_GAP = 3000;
/** The timestamp may run ahead of capture time by this much before it counts as a forward jump (s). */
const FORWARD_JUMP_S = 0.2;
/** … and fall behind it by this much before it counts as a backward jump (s): network delay spikes stay below it. */
const BACKWARD_JUMP_S = 1.0;
/** A re-anchor may open a silent gap up to this long (s); a capture time further ahead is not believed. */
const MAX_REANCHOR_GAP_S = 600;
/**
 * Largest drift between a sender's clock and the capture clock, as a share of the audio between them, that a
 * re-anchor corrects by opening a gap in a continuous stream. Real oscillators stay within ±100 ppm; a delay
 * spike after a minute of audio is a few per cent at most, and either way the stream stays aligned.
 */
const MAX_CLOCK_DRIFT = 0.01;
/** Audio runs further apart than this (s) are separate islands (see RtpStream.islands). */
export const ISLAND_GAP_S = 60;
/** Lost or untransmitted audio longer than this is rendered as plain silence, not concealment or comfort noise (s). */
const MAX_CONCEAL_S = 60;

/** How many released sequence numbers are remembered to tell a duplicate from a late packet (power of two). */
const RELEASED_RING = 4096;

function unwrap(value: number, reference: number, modulus: number): number {
  const half = modulus / 2;
  let candidate = reference - (((reference % modulus) + modulus) % modulus) + value;
  if (candidate - reference > half) candidate -= modulus;
  else if (reference - candidate > half) candidate += modulus;
  return candidate;
}

/**
 * One direction of RTP media (one UDP flow): restores sequence order within a
 * window, counts loss/duplicates/late packets, places audio on the global
 * timeline by RTP timestamp anchored to capture time, survives SSRC changes
 * and timestamp jumps, decodes in order and writes into its own track.
 */
export class RtpStream {
  readonly stats: RtpStreamStats = {
    packets: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    reordered: 0,
    comfortNoise: 0,
    telephoneEvents: 0,
    undecodable: 0,
    ssrcs: [],
    timestampJumps: 0,
    timeOutliers: 0,
    clockRunaways: 0,
    payloadTypes: [],
    firstTime: Number.POSITIVE_INFINITY,
    lastTime: Number.NEGATIVE_INFINITY,
  };
  readonly track: SampleTrack;
  /** First codec decoded on this stream; its rate is the stream's rate. */
  codec: CodecName | undefined;
  sampleRate = 8000;
  /** Global positions of the first and one-past-last written sample. */
  startPosition = Number.POSITIVE_INFINITY;
  endPosition = Number.NEGATIVE_INFINITY;
  /**
   * Where the audio lies: runs of placed packets with no gap over ISLAND_GAP_S inside, as flat [start, end,
   * samples] triples (positions; samples = audio placed in the run). A call's recording spans the runs that
   * hold real audio: a packet or two placed far away by a damaged capture does not stretch it.
   */
  readonly islands: number[] = [];
  /** Payload types seen that no decoder here handles. */
  readonly undecodableTypes = new Set<number>();
  /** What signalling (or RFC 3551) names those payload types, where it does: `iLBC/8000`, `GSM/8000`… */
  readonly undecodableNames = new Map<number, string>();
  /** Audio packets whose length was checked against their timestamp step, and those a few bytes too long (see encryption()). */
  private lengthChecks = 0;
  private authTagLike = 0;
  private previousSeq = -1;
  private previousTs = 0;
  private previousSsrc = -1;

  private readonly reorderWindow: number;
  private readonly pending: PendingPacket[] = [];
  private readonly segments = new Map<number, Segment>();
  private current: Segment | undefined;
  private readonly decoders = new Map<number, StreamDecoder | null>();
  /** Recently released extended sequence numbers of the current segment, by extSeq mod size (duplicate vs late). */
  private readonly released = new Float64Array(RELEASED_RING).fill(Number.NaN);
  /** Payload kinds resolved per payload type (audio only: the DTMF guess depends on the payload). */
  private readonly audioKinds = new Map<number, PayloadKind>();
  private readonly dtmfPresses = new DtmfCollector();
  /** Output position of each press, in the collector's order. */
  private readonly dtmfPositions: number[] = [];
  private lastDecoder: StreamDecoder | undefined;
  private lastPayloadType = -1;
  /** Output samples of the last decoded packet: the assumed length of a lost one. */
  private lastPacketSamples = 0;
  /** Sequence number, end timestamp and end position of the last packet placed, and its run: tells what follows it. */
  private readonly lastPlaced = { segment: undefined as Segment | undefined, extSeq: 0, endTs: 0, endPosition: 0 };
  /**
   * Samples by which the capture clock has run ahead of this stream's audio since it was last believed: while it
   * has, pauses are measured by the sender's timestamps (see anchor).
   */
  private clockAhead = 0;
  /** The audio packet waiting for its successor to confirm or refute a jump. */
  private suspect: SuspectPacket | undefined;

  constructor(
    readonly from: Endpoint,
    readonly to: Endpoint,
    private readonly options: RtpStreamOptions,
  ) {
    this.reorderWindow = Math.max(1, options.reorderWindow ?? 50);
    this.track = new SampleTrack(options.track);
  }

  /** Feed one parsed RTP packet with its capture time. */
  push(packet: RtpPacket, time: number): void {
    const stats = this.stats;
    stats.packets++;
    if (time < stats.firstTime) stats.firstTime = time;
    if (time > stats.lastTime) stats.lastTime = time;
    if (packet.payloadType !== this.lastPayloadType) {
      this.lastPayloadType = packet.payloadType;
      if (!stats.payloadTypes.includes(packet.payloadType)) stats.payloadTypes.push(packet.payloadType);
    }
    this.checkLength(packet);

    let segment = this.current !== undefined && this.current.ssrc === packet.ssrc ? this.current : this.segments.get(packet.ssrc);
    if (!segment) {
      segment = {
        ssrc: packet.ssrc,
        maxExtSeq: packet.sequence,
        maxExtTs: packet.timestamp,
        nextSeq: undefined,
        offset: undefined,
        baseTs: packet.timestamp,
        minDelay: Number.POSITIVE_INFINITY,
        counts: { ssrc: packet.ssrc, packets: 0, lost: 0, duplicates: 0 },
      };
      this.segments.set(packet.ssrc, segment);
      stats.ssrcs.push(packet.ssrc);
    }
    if (segment !== this.current) {
      // A new (or returning) SSRC: what the old one still holds goes out first, in order.
      this.flush();
      this.current = segment;
      this.released.fill(Number.NaN);
    }
    segment.counts.packets++;
    const extSeq = unwrap(packet.sequence, segment.maxExtSeq, 65536);
    const extTs = unwrap(packet.timestamp, segment.maxExtTs, 4294967296);
    if (extSeq > segment.maxExtSeq) segment.maxExtSeq = extSeq;
    else if (extSeq < segment.maxExtSeq && !this.wasReleased(extSeq)) stats.reordered++;
    if (extTs > segment.maxExtTs) segment.maxExtTs = extTs;

    if (segment.nextSeq !== undefined && extSeq < segment.nextSeq) {
      if (this.wasReleased(extSeq)) {
        stats.duplicates++;
        segment.counts.duplicates++;
      } else if (segment.nextSeq - extSeq > MAX_SEQUENCE_GAP) {
        // The sender restarted its sequence far below: treat as a new run of this SSRC.
        this.flush();
        segment.nextSeq = undefined;
        this.insertPending({ extSeq, extTs, time, packet });
        this.ownPending();
      } else stats.late++;
      return;
    }
    if (!this.insertPending({ extSeq, extTs, time, packet })) {
      stats.duplicates++;
      segment.counts.duplicates++;
      return;
    }
    while (this.pending.length > this.reorderWindow) this.release(this.pending.shift()!);
    // Release the head at once while it is the next expected packet: no waiting when nothing is missing.
    while (this.pending.length > 0 && segment.nextSeq !== undefined && this.pending[0]!.extSeq === segment.nextSeq) {
      this.release(this.pending.shift()!);
    }
    this.ownPending();
  }

  /** A packet that waits keeps its own copy of the payload: the reader's buffer is read into again after push(). */
  private ownPending(): void {
    for (const waiting of this.pending) {
      if (!waiting.owned) {
        waiting.packet = { ...waiting.packet, payload: waiting.packet.payload.slice() };
        waiting.owned = true;
      }
    }
  }

  /**
   * 'srtp' when the audio payloads look encrypted: SRTP keeps the payload length and appends an authentication
   * tag of 4 or 10 bytes, so a constant-rate codec's packets come out exactly that much longer than their
   * timestamp step says. Decoding them would give full-scale noise.
   */
  encryption(): 'srtp' | undefined {
    return this.lengthChecks >= 10 && this.authTagLike >= 0.8 * this.lengthChecks ? 'srtp' : undefined;
  }

  /** Compare a packet's payload length with the timestamp step from the packet before it (same source, next sequence number). */
  private checkLength(packet: RtpPacket): void {
    if (this.lengthChecks >= 500) return; // the verdict is clear by then; spare the hot path
    const follows = packet.ssrc === this.previousSsrc && packet.sequence === ((this.previousSeq + 1) & 0xffff);
    const step = (packet.timestamp - this.previousTs) >>> 0;
    this.previousSsrc = packet.ssrc;
    this.previousSeq = packet.sequence;
    this.previousTs = packet.timestamp;
    if (!follows || step === 0 || step > 8000) return;
    const kind = this.payloadKindOf(packet);
    if (kind.kind !== 'audio') return;
    const bytesPerTick = BYTES_PER_RTP_TICK[kind.codec];
    const expected = step * bytesPerTick;
    if (!Number.isInteger(expected)) return;
    this.lengthChecks++;
    const extra = packet.payload.length - expected;
    if (extra === 4 || extra === 10) this.authTagLike++;
  }

  /** Counts per SSRC, in order of appearance. */
  ssrcCounts(): SsrcCounts[] {
    return [...this.segments.values()].map((segment) => ({ ...segment.counts }));
  }

  /** Release everything still held (end of capture, or before switching SSRC). */
  flush(): void {
    while (this.pending.length > 0) this.release(this.pending.shift()!);
    // Nothing came after the suspect to confirm its jump: one packet's word is not enough to open a gap.
    const suspect = this.suspect;
    if (suspect !== undefined) {
      this.suspect = undefined;
      this.placeOutlier(suspect, undefined);
    }
  }

  dispose(): void {
    this.track.dispose();
  }

  private wasReleased(extSeq: number): boolean {
    return this.released[extSeq & (RELEASED_RING - 1)] === extSeq;
  }

  private payloadKindOf(packet: RtpPacket): PayloadKind {
    const cached = this.audioKinds.get(packet.payloadType);
    if (cached) return cached;
    const kind = this.options.payloadKind(packet.payloadType, packet.payload.length);
    if (kind.kind === 'audio') this.audioKinds.set(packet.payloadType, kind);
    return kind;
  }

  /** Insert keeping extSeq order; false when that sequence number is already pending (a duplicate). */
  private insertPending(entry: PendingPacket): boolean {
    const pending = this.pending;
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.extSeq > entry.extSeq) i--;
    if (i > 0 && pending[i - 1]!.extSeq === entry.extSeq) return false;
    pending.splice(i, 0, entry);
    return true;
  }

  private release(entry: PendingPacket): void {
    const segment = this.current!;
    const stats = this.stats;
    let lostHere = 0;
    if (segment.nextSeq !== undefined) {
      const gap = entry.extSeq - segment.nextSeq;
      if (gap > 0 && gap <= MAX_SEQUENCE_GAP) lostHere = gap;
    }
    stats.lost += lostHere;
    segment.counts.lost += lostHere;
    segment.nextSeq = entry.extSeq + 1;
    this.released[entry.extSeq & (RELEASED_RING - 1)] = entry.extSeq;

    const kind = this.payloadKindOf(entry.packet);
    switch (kind.kind) {
      case 'comfort-noise':
        stats.comfortNoise++;
        return;
      case 'telephone-event':
        stats.telephoneEvents++;
        this.recordTelephoneEvent(entry, segment);
        return;
      case 'unknown':
        stats.undecodable++;
        this.undecodableTypes.add(entry.packet.payloadType);
        if (kind.encoding !== undefined) this.undecodableNames.set(entry.packet.payloadType, kind.encoding);
        return;
      case 'audio':
        this.decodeAudio(entry, segment, kind.codec, lostHere);
        return;
    }
  }

  private decoderFor(payloadType: number, codec: CodecName): StreamDecoder | null {
    let decoder = this.decoders.get(payloadType);
    if (decoder === undefined) {
      decoder = createStreamDecoder(codec) ?? null;
      this.decoders.set(payloadType, decoder);
    }
    return decoder;
  }

  private decodeAudio(entry: PendingPacket, segment: Segment, codec: CodecName, lostPackets: number): void {
    const decoder = this.decoderFor(entry.packet.payloadType, codec);
    if (!decoder) {
      this.stats.undecodable++;
      this.undecodableTypes.add(entry.packet.payloadType);
      return;
    }
    if (this.codec === undefined) {
      this.codec = codec;
      this.sampleRate = decoder.sampleRate;
    } else if (decoder.sampleRate !== this.sampleRate) {
      // A mid-stream switch to a codec of another rate cannot share this track.
      this.stats.undecodable++;
      this.undecodableTypes.add(entry.packet.payloadType);
      return;
    }
    const rate = this.sampleRate;
    const ratio = rate / decoder.rtpClockRate;
    const arrival = (entry.time - this.options.origin) * rate;

    if (segment.offset === undefined) this.anchor(segment, entry, ratio, arrival);
    let position = segment.offset! + Math.round((entry.extTs - segment.baseTs) * ratio);
    let delay = arrival - position;
    const suspect = this.suspect;
    if (suspect !== undefined) {
      this.suspect = undefined;
      if (this.withinJump(delay - segment.minDelay) || !this.withinJump(delay - suspect.delay)) {
        // This packet agrees with the anchor the suspect broke (the suspect alone was wrong), or with neither (the
        // capture's clock is not to be believed here, e.g. a damaged timestamp resolution): no gap on its word.
        // Only a packet that agrees with the anchor bounds where the suspect goes: one that agrees with nothing may
        // carry a damaged timestamp itself (a first packet put before such a one opened a 16-hour recording).
        this.placeOutlier(suspect, this.withinJump(delay - segment.minDelay) ? position : undefined);
      } else {
        // Two packets in a row off the old anchor and at one with each other: the stream really jumped (a sender
        // restart, a clock step).
        // (Before any audio is placed, a re-anchor only corrects the first guess: no jump in the recording.)
        const placedBefore = this.endPosition !== Number.NEGATIVE_INFINITY;
        if (this.anchor(segment, suspect.entry, suspect.ratio, suspect.arrival)) this.stats.clockRunaways++;
        else if (placedBefore) this.stats.timestampJumps++;
        this.place(suspect.decoder, segment.offset!, suspect.entry, suspect.lostPackets);
        position = segment.offset! + Math.round((entry.extTs - segment.baseTs) * ratio);
        delay = arrival - position;
      }
    }
    if (!this.withinJump(delay - segment.minDelay)) {
      // It waits for the next packet: a copy of its payload (the reader's buffer is reused).
      if (!entry.owned) {
        entry.packet = { ...entry.packet, payload: entry.packet.payload.slice() };
        entry.owned = true;
      }
      this.suspect = { entry, decoder, ratio, arrival, delay, lostPackets };
      return;
    }
    if (delay < segment.minDelay) segment.minDelay = delay;
    this.place(decoder, position, entry, lostPackets);
  }

  /**
   * Whether two packets agree on the timeline: the difference of their delays (arrival − placed position), or of a
   * packet's delay and the anchor's path delay, stays within the jump thresholds.
   */
  private withinJump(delayDifference: number): boolean {
    const rate = this.sampleRate;
    return delayDifference >= -FORWARD_JUMP_S * rate && delayDifference <= BACKWARD_JUMP_S * rate;
  }

  /** Samples within which two pieces of one stream count as continuous (0.1 s, at least three 20 ms packets). */
  private snapSamples(): number {
    return Math.max(0.1 * this.sampleRate, 3 * 160);
  }

  /** Decode one packet into the track at `position`, filling what lies between it and the audio before it. */
  private place(decoder: StreamDecoder, position: number, entry: PendingPacket, lostPackets: number): void {
    if (decoder !== this.lastDecoder) {
      this.lastDecoder?.reset();
      this.lastDecoder = decoder;
    }
    const gap = this.endPosition === Number.NEGATIVE_INFINITY ? 0 : position - this.endPosition;
    if (gap > 0 && gap <= MAX_CONCEAL_S * this.sampleRate) {
      // Lost packets are taken to have been as long as the last one received; the rest of the gap the sender did not send (DTX).
      const lost = Math.min(gap, lostPackets * this.lastPacketSamples);
      this.fill(decoder, this.endPosition, lost, 'lost');
      this.fill(decoder, this.endPosition + lost, gap - lost, 'dtx');
    }
    const payload = entry.packet.payload;
    let length: number;
    if (decoder.g711Law !== undefined) {
      // G.711 stays coded in the track (half the memory) and is decoded while the recording is written.
      this.track.writeG711(position, payload, decoder.g711Law);
      length = payload.length;
    } else {
      const samples = decoder.decode(payload);
      this.track.write(position, samples);
      length = samples.length;
    }
    this.lastPacketSamples = length;
    const last = this.lastPlaced;
    last.segment = this.current;
    last.extSeq = entry.extSeq;
    last.endTs = entry.extTs + (length * decoder.rtpClockRate) / this.sampleRate;
    last.endPosition = position + length;
    this.addIsland(position, position + length);
    if (position < this.startPosition) this.startPosition = position;
    const end = position + length;
    if (end > this.endPosition) this.endPosition = end;
  }

  private addIsland(start: number, end: number): void {
    const islands = this.islands;
    const gap = ISLAND_GAP_S * this.sampleRate;
    // Nearly always the last run goes on; a run to merge with is looked for among the (few) others.
    for (let i = islands.length - 3; i >= 0; i -= 3) {
      if (start <= islands[i + 1]! + gap && end >= islands[i]! - gap) {
        if (start < islands[i]!) islands[i] = start;
        if (end > islands[i + 1]!) islands[i + 1] = end;
        islands[i + 2] = islands[i + 2]! + (end - start);
        return;
      }
    }
    islands.push(start, end, end - start);
  }

  /**
   * A packet whose time disagreed with the packets on both sides of it. Where its RTP timestamp puts it between
   * them, its capture time was wrong and the timestamp places it; otherwise its timestamp was wrong too and it
   * follows the audio before it. `next` is the position of the packet after it (undefined at the end of a run).
   */
  private placeOutlier(suspect: SuspectPacket, next: number | undefined): void {
    this.stats.timeOutliers++;
    const segment = this.current!;
    const byTimestamp = segment.offset! + Math.round((suspect.entry.extTs - segment.baseTs) * suspect.ratio);
    const room = (suspect.lostPackets + 1) * Math.max(this.lastPacketSamples, 1) + this.snapSamples();
    const after = this.endPosition;
    let position: number;
    if (after === Number.NEGATIVE_INFINITY && next === undefined) {
      // Nothing written yet and nothing after it to go by: where its timestamp puts it on the anchor.
      position = byTimestamp;
    } else if (after === Number.NEGATIVE_INFINITY) {
      // Nothing written yet: it leads the run, just before the packet after it.
      const latest = next!;
      const length = Math.round((suspect.entry.packet.payload.length / BYTES_PER_RTP_TICK[this.codec!]) * suspect.ratio);
      position = byTimestamp <= latest - length && byTimestamp >= latest - room ? byTimestamp : latest - length;
    } else {
      // Only as far ahead as the packets lost before it explain: beyond that its timestamp is no evidence either
      // (the packet after it may sit across a jump of the sender's clock).
      const latest = Math.min(next ?? Number.POSITIVE_INFINITY, after + room);
      position = byTimestamp >= after - room && byTimestamp <= latest ? byTimestamp : after;
    }
    this.place(suspect.decoder, position, suspect.entry, suspect.lostPackets);
    // Its timestamp was not believed: what follows it is measured from where it was put, not from its timestamp.
    if (position !== byTimestamp) this.lastPlaced.endTs = segment.baseTs + (this.lastPlaced.endPosition - segment.offset!) / suspect.ratio;
  }

  /**
   * Fix where extended timestamp `entry.extTs` sits on the global timeline.
   * From capture time, using the earliest-arriving of the packets at hand (least
   * delayed); continuous with what this stream already wrote when it is close
   * (an SSRC change or re-anchor must not leave a click-sized gap or overlap). Returns true where the capture
   * clock was overruled by the sender's own timing (see `clockAhead`).
   */
  private anchor(segment: Segment, entry: PendingPacket, ratio: number, arrival: number): boolean {
    // Where the packets at hand put this one: its own arrival, and what each waiting packet implies from its arrival
    // and timestamp.
    const implied = (other: PendingPacket): number => (other.time - this.options.origin) * this.sampleRate - (other.extTs - entry.extTs) * ratio;
    // One of the next few packets that agrees with this one vouches for its capture time (a jump after them must
    // not move it); when none does, its time stands alone and the median of what they imply decides.
    const limit = FORWARD_JUMP_S * this.sampleRate;
    const following = this.pending.slice(0, 4).map(implied);
    const vouched = following.length === 0 || following.some((candidate) => Math.abs(candidate - arrival) < limit);
    following.sort((a, b) => a - b);
    const reference = vouched ? arrival : following[(following.length - 1) >> 1]!;
    // The earliest-arriving of those that agree with the reference is the least delayed.
    let best = Math.abs(arrival - reference) < limit ? Math.min(arrival, reference) : reference;
    for (const other of this.pending) {
      const candidate = implied(other);
      if (candidate < best && reference - candidate < limit) best = candidate;
    }
    let position = Math.round(best);
    let overruled = false;
    if (this.endPosition !== Number.NEGATIVE_INFINITY) {
      const snap = this.snapSamples();
      const gap = position - this.endPosition;
      const last = this.lastPlaced.segment === segment ? this.lastPlaced : undefined;
      // The gap the sender's own timestamps give after the last packet placed of this run (pure loss or DTX).
      const senderGap = last !== undefined && entry.extSeq > last.extSeq && entry.extSeq - last.extSeq <= MAX_SEQUENCE_GAP ? (entry.extTs - last.endTs) * ratio : Number.NaN;
      if (Math.abs(gap) <= snap || gap < 0 || gap > MAX_REANCHOR_GAP_S * this.sampleRate) {
        // Close by, behind what was written, or implausibly far ahead (a corrupt capture time): continue seamlessly.
        position = this.endPosition;
        if (gap <= snap) this.clockAhead = 0;
      } else if (senderGap === 0 && entry.extSeq === last!.extSeq + 1 && gap > MAX_CLOCK_DRIFT * (this.endPosition - segment.offset!)) {
        // The sender went on without a break and the capture clock ran further ahead of its audio than clocks
        // drift: the capture clock is what is wrong (a gap on its word stretched 16 s of audio to 446 s).
        position = this.endPosition;
        this.clockAhead = gap;
        overruled = true;
      } else if (this.clockAhead > snap && senderGap >= 0 && senderGap <= MAX_CONCEAL_S * this.sampleRate) {
        // A pause (DTMF, DTX, loss) while the capture clock is known to run ahead of this stream: the sender's
        // timestamps measure it, not the clock that ran away.
        position = last!.endPosition + Math.round(senderGap);
        this.clockAhead = gap - (position - this.endPosition);
        overruled = true;
      } else if (this.clockAhead > snap) {
        // Neither clock is to be believed (the timestamp jumped too): no gap on either's word.
        position = this.endPosition;
        this.clockAhead = gap;
        overruled = true;
      } else {
        this.clockAhead = 0;
      }
    }
    segment.offset = position;
    segment.baseTs = entry.extTs;
    segment.minDelay = best - position;
    return overruled;
  }

  private fill(decoder: StreamDecoder, position: number, samples: number, reason: 'lost' | 'dtx'): void {
    if (samples <= 0) return;
    const filler = decoder.conceal(samples, reason);
    // Silence is what the track holds already: only write when the codec made sound (concealment, comfort noise).
    for (let i = 0; i < filler.length; i++) {
      if (filler[i] !== 0) {
        this.track.write(position, filler);
        return;
      }
    }
  }

  private recordTelephoneEvent(entry: PendingPacket, segment: Segment): void {
    const known = this.dtmfPresses.size;
    this.dtmfPresses.push(entry.packet.payload, entry.packet.timestamp, entry.time);
    for (let i = known; i < this.dtmfPresses.size; i++) {
      // The press's own start (packed events start after the ones before them), on this segment's unwrapped clock.
      const startTs = entry.extTs + ((this.dtmfPresses.startOf(i) - entry.packet.timestamp) | 0);
      this.dtmfPositions.push(
        segment.offset !== undefined ? segment.offset + Math.round((startTs - segment.baseTs) * (this.sampleRate / 8000)) : Math.round((entry.time - this.options.origin) * this.sampleRate),
      );
    }
  }

  /** The key presses of this stream, in the order they began. */
  get dtmf(): DtmfEvent[] {
    return this.dtmfPresses.presses.map((press, i) => ({ digit: press.digit, time: press.time, position: this.dtmfPositions[i]!, durationMs: (press.durationSamples / 8000) * 1000 }));
  }

}
