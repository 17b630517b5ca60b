// RFC 4733 telephone events (DTMF) and a collector that turns a packet stream into key presses.
import type { TelephoneEvent } from './types.js';

/** A DTMF key: RFC 4733 §3.2 events 0–15. */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

const DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/** The key for an RFC 4733 event code, undefined for codes that are not DTMF keys (flash, tones…). */
export function dtmfDigit(event: number): DtmfDigit | undefined {
  return DIGITS[event];
}

/** Octets of one event report (RFC 4733 §2.3). */
const EVENT_BYTES = 4;

function readEvent(payload: Uint8Array, offset: number): TelephoneEvent {
  const flags = payload[offset + 1]!;
  return {
    event: payload[offset]!,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: (payload[offset + 2]! << 8) | payload[offset + 3]!,
  };
}

/** Parse the first (usually only) event report of a telephone-event payload; null when shorter than 4 octets. */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | null {
  return payload.length < EVENT_BYTES ? null : readEvent(payload, 0);
}

/**
 * Every event report in a payload (RFC 4733 §2.5.1.5 lets a sender pack
 * several short events into one packet); trailing octets short of a whole
 * report are ignored.
 */
export function parseTelephoneEvents(payload: Uint8Array): TelephoneEvent[] {
  const events: TelephoneEvent[] = [];
  for (let offset = 0; offset + EVENT_BYTES <= payload.length; offset += EVENT_BYTES) events.push(readEvent(payload, offset));
  return events;
}

/** One key press, counted once however many packets reported it. */
export interface DtmfPress {
  readonly digit: DtmfDigit;
  /** RTP timestamp at which the press began (the event's timestamp, RFC 4733 §2.3.1). */
  readonly rtpTimestamp: number;
  /** Capture time (seconds) of the first packet that reported the press. */
  readonly time: number;
  /** Longest duration reported, in RTP clock units, summed over segments of a long press. */
  readonly durationSamples: number;
  /** True once a packet with the E bit arrived (the end may be lost). */
  readonly ended: boolean;
  /** Power level of the tone in -dBm0 (0–63). */
  readonly volume: number;
}

interface OpenPress {
  digit: DtmfDigit;
  event: number;
  rtpTimestamp: number;
  time: number;
  /** Start of the segment being reported now (differs from rtpTimestamp after a long-duration split). */
  segmentStart: number;
  /** Duration of the segments before the current one. */
  earlierSegments: number;
  segmentDuration: number;
  ended: boolean;
  volume: number;
}

/** Events whose reports started this far apart (RTP units) are unrelated; bounds the table of recent events. */
const KEEP_RECENT_EVENTS = 64;

/**
 * Collects the telephone-event packets of one RTP stream (one SSRC) into
 * distinct key presses. RFC 4733 identifies an event by its RTP timestamp:
 * the updates of a press repeat its timestamp with a growing duration, and the
 * final report (E bit) is sent three times; all of them make one press. A
 * press longer than the 16-bit duration field is split into segments, each
 * starting where the previous one ended (§2.5.1.3); these stay one press.
 * Several events packed into one packet (§2.5.1.5) share the packet's
 * timestamp: each starts where the one before it ended.
 */
export class DtmfCollector {
  private readonly list: OpenPress[] = [];
  /** Recent events by "start timestamp:event code". */
  private readonly bySegment = new Map<string, OpenPress>();

  /** Feed one telephone-event payload with its RTP timestamp and capture time. */
  push(payload: Uint8Array, rtpTimestamp: number, time: number): void {
    let start = rtpTimestamp >>> 0;
    for (const event of parseTelephoneEvents(payload)) {
      this.take(event, start, time);
      start = (start + event.duration) >>> 0;
    }
  }

  /** Feed an already parsed event (its own start timestamp). */
  pushEvent(event: TelephoneEvent, rtpTimestamp: number, time: number): void {
    this.take(event, rtpTimestamp >>> 0, time);
  }

  /** The presses so far, in the order they began. */
  get presses(): DtmfPress[] {
    return this.list.map((p) => ({
      digit: p.digit,
      rtpTimestamp: p.rtpTimestamp,
      time: p.time,
      durationSamples: p.earlierSegments + p.segmentDuration,
      ended: p.ended,
      volume: p.volume,
    }));
  }

  /** How many presses began so far (a press found by a later packet is appended at this index). */
  get size(): number {
    return this.list.length;
  }

  /** RTP timestamp at which press `index` began. */
  startOf(index: number): number {
    return this.list[index]!.rtpTimestamp;
  }

  /** The keys pressed, e.g. "12#". */
  get digits(): string {
    return this.list.map((p) => p.digit).join('');
  }

  private take(event: TelephoneEvent, start: number, time: number): void {
    const digit = dtmfDigit(event.event);
    if (!digit) return;
    const key = `${start}:${event.event}`;
    const known = this.bySegment.get(key);
    if (known) {
      if (event.duration > known.segmentDuration) known.segmentDuration = event.duration;
      if (event.end) known.ended = true;
      return;
    }
    // A new segment that starts exactly where an unfinished press of the same key ends continues that press.
    const previous = this.list[this.list.length - 1];
    if (previous && !previous.ended && previous.event === event.event && ((previous.segmentStart + previous.segmentDuration) >>> 0) === start) {
      previous.earlierSegments += previous.segmentDuration;
      previous.segmentStart = start;
      previous.segmentDuration = event.duration;
      if (event.end) previous.ended = true;
      this.remember(key, previous);
      return;
    }
    const press: OpenPress = {
      digit,
      event: event.event,
      rtpTimestamp: start,
      time,
      segmentStart: start,
      earlierSegments: 0,
      segmentDuration: event.duration,
      ended: event.end,
      volume: event.volume,
    };
    this.list.push(press);
    this.remember(key, press);
  }

  private remember(key: string, press: OpenPress): void {
    this.bySegment.set(key, press);
    if (this.bySegment.size > KEEP_RECENT_EVENTS) {
      const oldest = this.bySegment.keys().next().value;
      if (oldest !== undefined) this.bySegment.delete(oldest);
    }
  }
}
