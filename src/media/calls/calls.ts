import type { RtpStream } from './rtp-stream.js';
import type { PartyInfo, SignallingDirectory } from './signalling.js';

/**
 * Who wrote the capture decides which stream carries which party when
 * signalling does not say (see the reference's channel note): a gateway sends
 * the external party's voice towards the phone, a phone sends its own user's.
 */
export type RecordingDevice = 'gateway' | 'phone';

export interface ChannelPolicy {
  /** Who wrote the capture (default 'gateway'). */
  readonly recordedBy?: RecordingDevice;
  /** Address of the recording device; by default the endpoint common to the capture's streams. */
  readonly deviceAddress?: string;
  /** Swap the result (for captures known to be mirrored). */
  readonly swap?: boolean;
  /** Use SIP party numbers when present ("external" = the longer number). Default true. */
  readonly useSignalling?: boolean;
  /**
   * The capture is known to hold one call (a PBX writes one capture per call):
   * every media session in it — e.g. before and after a transfer — goes into
   * one recording instead of one recording per session.
   */
  readonly oneCall?: boolean;
}

/**
 * Which rule put the parties on their channels: 'signalling', SIP's party numbers (the longer one is external);
 * 'signalling-caller', SIP where the numbers are as long (the caller is external); 'device', the recording
 * device (the capture's common endpoint, see RecordingDevice); 'first-sender', a call that does not involve the
 * device: the first sender's direction is taken for the device's.
 */
export type ChannelRule = 'signalling' | 'signalling-caller' | 'device' | 'first-sender';

/** One call in a capture: the streams for each channel of the recording. */
export interface Call {
  /** 1-based index in the capture, in order of first packet. */
  readonly index: number;
  /** SIP Call-ID when signalling named it. */
  readonly callId?: string;
  /** Left channel: the external party. */
  readonly external: RtpStream[];
  /** Right channel: the internal party. */
  readonly internal: RtpStream[];
  readonly externalParty?: PartyInfo;
  readonly internalParty?: PartyInfo;
  /** 'i' when the external party called, 'o' when the internal party did, when signalling tells. */
  readonly direction?: 'i' | 'o';
  /** How the channels were assigned, for the report. */
  readonly channelRule: ChannelRule;
  readonly startTime: number;
  readonly endTime: number;
}

function allStreams(call: Pick<Call, 'external' | 'internal'>): RtpStream[] {
  return [...call.external, ...call.internal];
}

export function streamsOf(call: Call): RtpStream[] {
  return allStreams(call);
}

function reverseKey(stream: RtpStream): string {
  return `${stream.to.address}|${stream.to.port}|${stream.from.address}|${stream.from.port}`;
}

function keyOf(stream: RtpStream): string {
  return `${stream.from.address}|${stream.from.port}|${stream.to.address}|${stream.to.port}`;
}

function overlaps(a: RtpStream, b: RtpStream): boolean {
  return a.stats.firstTime <= b.stats.lastTime + 5 && b.stats.firstTime <= a.stats.lastTime + 5;
}

/** The address common to most streams: the device that wrote the capture. Ties go to the sender of the earliest stream. */
function guessDevice(streams: RtpStream[]): string | undefined {
  const counts = new Map<string, number>();
  for (const s of streams) {
    counts.set(s.from.address, (counts.get(s.from.address) ?? 0) + 1);
    if (s.to.address !== s.from.address) counts.set(s.to.address, (counts.get(s.to.address) ?? 0) + 1);
  }
  let best = -1;
  for (const n of counts.values()) best = Math.max(best, n);
  const top = new Set([...counts].filter(([, n]) => n === best).map(([a]) => a));
  const ordered = [...streams].sort((a, b) => a.stats.firstTime - b.stats.firstTime);
  for (const s of ordered) if (top.has(s.from.address)) return s.from.address;
  return ordered[0]?.from.address;
}

/** The party whose voice a stream carries, per SDP: who sends from its source, or else the peer of who receives at its destination. */
function senderOf(signalling: SignallingDirectory, stream: RtpStream): PartyInfo | undefined {
  const from = signalling.mediaOwner(stream.from.address, stream.from.port, stream.stats.firstTime);
  if (from) return from.party;
  return signalling.mediaOwner(stream.to.address, stream.to.port, stream.stats.firstTime)?.peer;
}

function sameParty(a: PartyInfo | undefined, b: PartyInfo | undefined): boolean {
  if (!a || !b) return false;
  return a.number !== undefined || b.number !== undefined ? a.number === b.number : a.name === b.name;
}

/** The source of the call's earliest stream. */
function firstSender(group: readonly RtpStream[]): { address: string; port: number } {
  let first = group[0]!;
  for (const s of group) if (s.stats.firstTime < first.stats.firstTime) first = s;
  return first.from;
}

function digits(party: PartyInfo | undefined): number {
  return party?.number?.replace(/[^0-9*#]/g, '').length ?? 0;
}

/**
 * Group a capture's RTP streams into calls and decide, for each, which stream
 * is the external party (left) and which the internal one (right).
 */
export function groupCalls(streams: RtpStream[], signalling: SignallingDirectory | undefined, policy: ChannelPolicy = {}): Call[] {
  const media = streams.filter((s) => s.stats.packets > 0).sort((a, b) => a.stats.firstTime - b.stats.firstTime);
  const useSignalling = policy.useSignalling !== false && signalling !== undefined;
  const groups: RtpStream[][] = [];
  const groupOf = new Map<RtpStream, RtpStream[]>();
  const byCallId = new Map<string, RtpStream[]>();
  const byKey = new Map(media.map((s) => [keyOf(s), s] as const));

  for (const stream of media) {
    if (groupOf.has(stream)) continue;
    const owner = useSignalling ? (signalling!.mediaOwner(stream.from.address, stream.from.port, stream.stats.firstTime) ?? signalling!.mediaOwner(stream.to.address, stream.to.port, stream.stats.firstTime)) : undefined;
    if (owner) {
      let group = byCallId.get(owner.callId);
      if (!group) {
        group = [];
        byCallId.set(owner.callId, group);
        groups.push(group);
      }
      group.push(stream);
      groupOf.set(stream, group);
      continue;
    }
    const group = [stream];
    groups.push(group);
    groupOf.set(stream, group);
    // The other direction of the same media session: the reversed flow, or (asymmetric RTP) a flow between the same two hosts at the same time.
    let partner = byKey.get(reverseKey(stream));
    if (!partner || groupOf.has(partner)) {
      partner = media.find((o) => !groupOf.has(o) && o.from.address === stream.to.address && o.to.address === stream.from.address && overlaps(o, stream));
    }
    if (partner && !groupOf.has(partner)) {
      group.push(partner);
      groupOf.set(partner, group);
    }
  }

  if (policy.oneCall && groups.length > 1) {
    const merged = groups.flat();
    groups.length = 0;
    groups.push(merged);
  }
  const captureDevice = policy.deviceAddress ?? guessDevice(media);
  const recordedBy = policy.recordedBy ?? 'gateway';
  return groups.map((group, i) => {
    const external: RtpStream[] = [];
    const internal: RtpStream[] = [];
    let externalParty: PartyInfo | undefined;
    let internalParty: PartyInfo | undefined;
    let direction: 'i' | 'o' | undefined;
    let callId: string | undefined;
    let channelRule: ChannelRule;

    // Whose voice each stream carries, per SDP: the owner of its source, or else the peer of the owner of its destination.
    const senders: Array<PartyInfo | undefined> = group.map((s) => (useSignalling ? senderOf(signalling!, s) : undefined));
    const known = useSignalling ? group.map((s) => signalling!.mediaOwner(s.from.address, s.from.port, s.stats.firstTime) ?? signalling!.mediaOwner(s.to.address, s.to.port, s.stats.firstTime)).find((o) => o !== undefined) : undefined;
    let partyRule: ChannelRule | undefined;
    if (known) {
      callId = known.callId;
      const caller = known.role === 'caller' ? known.party : known.peer;
      const callee = known.role === 'caller' ? known.peer : known.party;
      // The reference's rule: the external party is the one with the longer number. Where the numbers are as long
      // (or not numbers), the caller is taken for external: the call came in from outside as the recorder sees it.
      const callerIsExternal = digits(caller) !== digits(callee) ? digits(caller) > digits(callee) : true;
      partyRule = digits(caller) !== digits(callee) ? 'signalling' : 'signalling-caller';
      externalParty = callerIsExternal ? caller : callee;
      internalParty = callerIsExternal ? callee : caller;
      direction = callerIsExternal ? 'i' : 'o';
    }
    const sides = senders.map((sender) => (sender === undefined || externalParty === undefined ? undefined : sameParty(sender, externalParty) ? 'external' : sameParty(sender, internalParty) ? 'internal' : undefined));
    const bySignalling = sides.every((side) => side !== undefined) && (group.length === 1 || (sides.includes('external') && sides.includes('internal')));
    if (bySignalling && partyRule !== undefined) {
      channelRule = partyRule;
      group.forEach((stream, j) => (sides[j] === 'external' ? external : internal).push(stream));
    } else {
      // By the recording device: the capture's common endpoint, or where this call does not involve it (two
      // unrelated calls in one capture), this call's own; each direction of the call keeps its own channel.
      const inCall = group.some((s) => s.from.address === captureDevice || s.to.address === captureDevice);
      const device = inCall ? captureDevice : guessDevice(group);
      const deviceIsEndpointOfBoth = group.every((s) => s.from.address === device || s.to.address === device);
      channelRule = inCall && deviceIsEndpointOfBoth ? 'device' : 'first-sender';
      const sentByDevice = (stream: RtpStream): boolean =>
        deviceIsEndpointOfBoth ? stream.from.address === device : stream.from.address === firstSender(group).address && stream.from.port === firstSender(group).port;
      let split = group.map((stream) => (recordedBy === 'gateway' ? sentByDevice(stream) : !sentByDevice(stream)));
      // Signalling that names some senders orients the split (their party's channel), where it does not contradict itself.
      const hint = group.findIndex((_, j) => sides[j] !== undefined);
      if (partyRule !== undefined && hint >= 0 && split[hint] !== (sides[hint] === 'external')) split = split.map((isExternal) => !isExternal);
      group.forEach((stream, j) => (split[j] ? external : internal).push(stream));
    }
    if (policy.swap) {
      return {
        index: i + 1,
        ...(callId !== undefined ? { callId } : {}),
        external: internal,
        internal: external,
        ...(internalParty ? { externalParty: internalParty } : {}),
        ...(externalParty ? { internalParty: externalParty } : {}),
        ...(direction ? { direction: direction === 'i' ? ('o' as const) : ('i' as const) } : {}),
        channelRule,
        startTime: Math.min(...group.map((s) => s.stats.firstTime)),
        endTime: Math.max(...group.map((s) => s.stats.lastTime)),
      };
    }
    return {
      index: i + 1,
      ...(callId !== undefined ? { callId } : {}),
      external,
      internal,
      ...(externalParty ? { externalParty } : {}),
      ...(internalParty ? { internalParty } : {}),
      ...(direction ? { direction } : {}),
      channelRule,
      startTime: Math.min(...group.map((s) => s.stats.firstTime)),
      endTime: Math.max(...group.map((s) => s.stats.lastTime)),
    };
  });
}
