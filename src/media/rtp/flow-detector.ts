// Deciding, without SDP, whether a UDP flow carries RTP.
import type { RtpPacket } from './types.js';

/** What the detector says about a flow: confirmed RTP, not yet decided, or given up on. */
export type RtpFlowVerdict = 'rtp' | 'pending' | 'not-rtp';

export interface RtpFlowDetectorOptions {
  /** Consecutive packets that must fit the pattern before the flow is taken for RTP (default 3). */
  readonly confirmPackets?: number;
  /** Largest forward sequence step between two packets still counted as consecutive (losses; default 16). */
  readonly maxSequenceStep?: number;
  /**
   * Largest timestamp advance per sequence step, in RTP clock units (default
   * 16000: one second at 16 kHz, far above any voice packetisation, while a
   * random 32-bit field lands below it about once in 270 000 tries).
   */
  readonly maxTimestampStep?: number;
  /** Pattern breaks after which a flow is given up for good (default 8). */
  readonly maxFailures?: number;
  /** Flows remembered at most; past it the oldest is forgotten, so a port scan cannot grow the table without bound (default 100 000). */
  readonly maxFlows?: number;
}

/** The header fields the detector looks at. */
export type RtpFlowSample = Pick<RtpPacket, 'ssrc' | 'sequence' | 'timestamp'>;

interface FlowState {
  verdict: RtpFlowVerdict;
  ssrc: number;
  sequence: number;
  timestamp: number;
  run: number;
  failures: number;
}

/**
 * Takes a UDP flow for RTP after K consecutive packets that look like one RTP
 * source: same SSRC, sequence numbers moving forward by small steps, and
 * timestamps moving forward (or standing still, as RFC 4733 events do) by no
 * more than a plausible amount per step. Random UDP (DNS, syslog, SIP on odd
 * ports, games) almost never repeats a 32-bit SSRC, and text protocols fail
 * the version-2 test before they get here. One small record per flow; the
 * caller names flows (e.g. "src|sport|dst|dport") and feeds parsed headers.
 */
export class RtpFlowDetector {
  private readonly flows = new Map<string, FlowState>();
  private readonly confirmPackets: number;
  private readonly maxSequenceStep: number;
  private readonly maxTimestampStep: number;
  private readonly maxFailures: number;
  private readonly maxFlows: number;

  constructor(options: RtpFlowDetectorOptions = {}) {
    this.confirmPackets = Math.max(1, Math.floor(options.confirmPackets ?? 3));
    this.maxSequenceStep = Math.max(1, Math.floor(options.maxSequenceStep ?? 16));
    this.maxTimestampStep = Math.max(0, options.maxTimestampStep ?? 16000);
    this.maxFailures = Math.max(0, Math.floor(options.maxFailures ?? 8));
    this.maxFlows = Math.max(1, Math.floor(options.maxFlows ?? 100_000));
  }

  /** Feed the next RTP-parsable packet of a flow; returns the flow's verdict after it. */
  observe(flow: string, packet: RtpFlowSample): RtpFlowVerdict {
    let state = this.flows.get(flow);
    if (!state) {
      state = { verdict: 'pending', ssrc: packet.ssrc, sequence: packet.sequence, timestamp: packet.timestamp, run: 1, failures: 0 };
      this.add(flow, state);
      if (state.run >= this.confirmPackets) state.verdict = 'rtp';
      return state.verdict;
    }
    if (state.verdict !== 'pending') return state.verdict;
    if (this.follows(state, packet)) {
      state.run++;
      if (state.run >= this.confirmPackets) state.verdict = 'rtp';
    } else {
      // Not the same source moving forward: count a failure and start a new run from this packet.
      state.failures++;
      state.run = 1;
      if (state.failures > this.maxFailures) state.verdict = 'not-rtp';
    }
    state.ssrc = packet.ssrc;
    state.sequence = packet.sequence;
    state.timestamp = packet.timestamp;
    return state.verdict;
  }

  /** Feed a datagram that did not parse as RTP: a flow that is still pending counts it as a break. */
  observeNonRtp(flow: string): RtpFlowVerdict {
    const state = this.flows.get(flow);
    if (!state) {
      const verdict: RtpFlowVerdict = this.maxFailures === 0 ? 'not-rtp' : 'pending';
      this.add(flow, { verdict, ssrc: 0, sequence: 0, timestamp: 0, run: 0, failures: 1 });
      return verdict;
    }
    if (state.verdict !== 'pending') return state.verdict;
    state.run = 0;
    if (++state.failures > this.maxFailures) state.verdict = 'not-rtp';
    return state.verdict;
  }

  /** The verdict so far; undefined for a flow never seen. */
  verdict(flow: string): RtpFlowVerdict | undefined {
    return this.flows.get(flow)?.verdict;
  }

  /** Drop a flow's state (e.g. when signalling reassigns its ports). */
  forget(flow: string): void {
    this.flows.delete(flow);
  }

  /** Flows with state held. */
  get size(): number {
    return this.flows.size;
  }

  private add(flow: string, state: FlowState): void {
    if (this.flows.size >= this.maxFlows) {
      // Maps iterate in insertion order: the first key is the flow seen first.
      const oldest = this.flows.keys().next().value;
      if (oldest !== undefined) this.flows.delete(oldest);
    }
    this.flows.set(flow, state);
  }

  private follows(state: FlowState, packet: RtpFlowSample): boolean {
    if (state.run === 0) return true; // after a non-RTP datagram any RTP packet may start a run
    if (packet.ssrc !== state.ssrc) return false;
    const step = (packet.sequence - state.sequence) & 0xffff;
    if (step === 0 || step > this.maxSequenceStep) return false;
    // Timestamps wrap at 2^32; read the difference as unsigned and bound it per step.
    const advance = (packet.timestamp - state.timestamp) >>> 0;
    return advance <= this.maxTimestampStep * step;
  }
}
