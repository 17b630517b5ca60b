/**
 * The embedded PBX's shared vocabulary: the directory it is configured with,
 * the scenario a user scripts, and the plan of each call that the planner
 * works out before the call is played. Every part of the simulator (SOAP,
 * reporting, captures, drive) reads these types and nothing else of the
 * others, so each can be built and tested alone.
 *
 * Times inside a call are milliseconds from the call's setup; absolute times
 * are milliseconds since the Unix epoch on the simulated clock.
 */
import type { CodecName } from '../domain/index.js';

/** Codecs a simulated leg can carry. */
/** The codecs the simulated gateway speaks: all the recorder decodes. */
export type SimCodec = CodecName;

/** A user object of the PBX (an extension with a phone). */
export interface PbxUser {
  /** The PBX object's name (innovaphone "h323" name): unique, used as the SOAP user id. */
  readonly name: string;
  /** Display name ("cn"). */
  readonly displayName: string;
  /** Extension number ("e164"), unique among users, groups and VM objects. */
  readonly number: string;
  /** Reporting licence: only users with it produce CDRs. */
  readonly reporting: boolean;
  /** Recording on: the user's calls are captured (gateway or phone side). */
  readonly recording: boolean;
  /** Member of the recording group (the group the recorder's SOAP user is in): an "Agent" in the reference's rules. */
  readonly recordingGroup: boolean;
  /** Executive: recorded calls are filed but marked as executive (the recorder may treat them specially). */
  readonly executive?: boolean;
  /** Where this user's calls are captured: by the trunk gateway (default) or by the phone itself. */
  readonly captureSide?: CaptureSide;
  /** The phone's own recording settings (innovaphone V11r2 phones); absent: transparent, nothing called for TCR. */
  readonly phoneRecording?: PhoneRecording;
  /** Call forwarding the user has set (targets are numbers). */
  readonly forward?: {
    readonly cfu?: string;
    readonly cfb?: string;
    readonly cfnr?: string;
    /** Seconds of ringing before CFNR applies (default 15). */
    readonly cfnrSeconds?: number;
  };
}

/**
 * How a phone's recording switches on and off (the reference, "Manual/Transparent/Optional recording"): always on
 * (transparent), off until the user presses the record feature key (manual), on until the user presses it
 * (optional). Each press toggles.
 */
export type PhoneRecordingMode = 'transparent' | 'manual' | 'optional';

/** A phone's recording section. */
export interface PhoneRecording {
  readonly mode: PhoneRecordingMode;
  /**
   * The phone's recording function calls the TCR object (the reference's TCRec.xml set up as the phone's
   * recording URL): each time recording switches on in a call, the call is marked for thread-call recording —
   * every call in transparent mode, the calls the key switched on in manual mode.
   */
  readonly marksTcr?: boolean;
}

/** A trunk (external line) reached through the recording gateway. */
export interface PbxTrunk {
  readonly name: string;
  /** Access code dialled before an external number (e.g. "0"). */
  readonly prefix: string;
  /** The gateway writes captures for calls on this trunk. */
  readonly recording: boolean;
}

/** A broadcast group or a waiting queue. */
export interface PbxGroup {
  readonly name: string;
  readonly number: string;
  /** broadcast: all members ring, first to answer takes it; queue: the waiting queue offers it to one member at a time. */
  readonly kind: 'broadcast' | 'queue';
  /** Member user names. */
  readonly members: readonly string[];
}

/** A voicemail-type object running an XML script: TAN entry, TCR (threat call recording) marking, IVR. */
export interface PbxVmObject {
  readonly name: string;
  readonly number: string;
  readonly role: 'tan' | 'tcr' | 'ivr';
}

/** Everything the PBX is configured with. */
export interface PbxDirectory {
  /** The PBX's name as it appears in CDRs and SOAP ("pbx" attribute). */
  readonly pbxName: string;
  /** The device serial used in v11-style capture names. */
  readonly gatewaySerial: string;
  readonly users: readonly PbxUser[];
  readonly trunks: readonly PbxTrunk[];
  readonly groups: readonly PbxGroup[];
  readonly vmObjects: readonly PbxVmObject[];
}

/** The kinds of call a scenario can ask for: each maps onto one or more of the reference's agent-determination rules. */
export type CallKind =
  /** External caller → `to` (user number). */
  | 'inbound'
  /** User `from` → external number `to`. */
  | 'outbound'
  /** User `from` → user `to` (only recorded when forced through the gateway; captured by phones). */
  | 'internal'
  /** External → `to`; `via` picks the call up while it rings. */
  | 'pickup'
  /** External → group `to` (broadcast); `via` (a member) answers. */
  | 'group'
  /** External → queue `to`, IVR/XML with DTMF input, back to the queue, `via` (a member) answers. */
  | 'queue'
  /** `from` and `to` talk, then the internal party among them (`by`, default: the user) transfers to `via` without consultation. */
  | 'blind-transfer'
  /** As blind-transfer but `by` consults `via` first (holds, talks, then transfers). */
  | 'attended-transfer'
  /** `by` holds the call, talks to `via`, then retrieves the first call (no transfer). */
  | 'consult'
  /** External → `to`, which has CFU / CFB / CFNR set to `via` (the directory's forward, or this call's). */
  | 'cfu'
  | 'cfb'
  | 'cfnr'
  /** Nobody answers; the caller gives up after `ringSeconds`. */
  | 'unanswered';

/** One call of a scenario script (the file a user writes, or the random generator's output). */
export interface ScenarioCall {
  /** Seconds after the scenario's start at which the call is set up. */
  readonly at: number;
  readonly kind: CallKind;
  /** Calling number: an external number for inbound kinds, a user number otherwise. */
  readonly from: string;
  /** Called number: a user, group or queue number, or an external number. */
  readonly to: string;
  /** Third party: transfer target, consulted party, picking-up user, answering member, forward target. */
  readonly via?: string;
  /** Which internal party transfers or consults (a user number); default: the recorded user of the call. */
  readonly by?: string;
  /** Seconds of ringing before the answer (default 3). */
  readonly ringSeconds?: number;
  /** Seconds of conversation (default 20). */
  readonly talkSeconds?: number;
  /** Seconds of the consultation / transferred part, for the transfer and consult kinds (default 10). */
  readonly secondTalkSeconds?: number;
  /** Codec of the recorded legs (default pcma). */
  readonly codec?: SimCodec;
  /** Packet length in ms (default 20; G.729 10..60 in steps of 10). */
  readonly packetMs?: number;
  /** TAN (6 digits) the agent enters during the call through the TAN VM object. */
  readonly tan?: string;
  /** Threat call recording marking by the agent: during the call or after it (a call to the TCR object). */
  readonly tcr?: 'during' | 'after';
  /** With tcr "after": seconds from the call's end to the marking call (default 1). */
  readonly tcrAfterSeconds?: number;
  /**
   * Presses of the record feature key, in seconds after the answer, on the phones of this call's users whose
   * recording mode is manual or optional: each press switches their recording over (on ↔ off).
   */
  readonly recordKey?: readonly number[];
  /** Network faults on the recorded legs. */
  readonly impairments?: MediaImpairments;
  /** Overrides the users' capture side for this call. */
  readonly captureSide?: CaptureSide;
  /**
   * The recording device writes nothing for this call (a full CF card, a gateway restarting): the call and its
   * CDRs are there, its capture is not — what completeness reconciliation must find.
   */
  readonly captureLost?: boolean;
}

export interface MediaImpairments {
  /** Fraction of packets lost, 0..1. */
  readonly loss?: number;
  /** Packet delay variation in ms (uniform 0..jitterMs, seeded). */
  readonly jitterMs?: number;
  /** Fraction of packets delivered one packet late (reordered), 0..1. */
  readonly reorder?: number;
  /** Fraction of packets duplicated, 0..1. */
  readonly duplicate?: number;
}

export interface Scenario {
  /** Seed of everything random in the run (SSRCs, ids, impairments, the random generator). */
  readonly seed: number;
  readonly calls: readonly ScenarioCall[];
}

/** Who a party is, as the PBX knows it. */
export interface PartyRef {
  readonly number: string;
  /** Display name for users; absent for external numbers. */
  readonly name?: string;
  /** The PBX object name (h323) for users, groups, VM objects; absent for external numbers. */
  readonly object?: string;
  readonly external: boolean;
}

/**
 * One state change of one internal user's call leg, as SOAP reports it and
 * as the CDR's event list records it.
 */
export interface CallEvent {
  /** ms from the call's setup. */
  readonly at: number;
  readonly type:
    | 'setup'
    | 'alert'
    | 'connect'
    | 'hold'
    | 'retrieve'
    | 'transfer'
    | 'pickup'
    | 'forward'
    | 'dtmf'
    | 'release';
  /** The user object (name) whose leg this is. */
  readonly user: string;
  /** The leg's handle: unique in the PBX for the run, stable for the leg's life (SOAP "call" id). */
  readonly leg: number;
  /** The party at the other end of this leg at that moment. */
  readonly peer: PartyRef;
  /** Direction of the leg from the user's point of view. */
  readonly outgoing: boolean;
  /** Kind-specific detail: forward type (cfu/cfb/cfnr), transfer target number, DTMF digits, release cause. */
  readonly detail?: string;
  /** The conference of a leg that is a call of its own placed from this one's plan (a thread-call mark after it). */
  readonly conf?: string;
}

/** A stretch of conversation between the internal and the external party of a capture. */
export interface MediaSegment {
  /** ms from the call's setup. */
  readonly from: number;
  readonly to: number;
  /** The internal party speaking on the recorded leg during this stretch. */
  readonly internal: PartyRef;
  /** The far party (external, or the other user for internal calls). */
  readonly external: PartyRef;
}

export type CaptureSide = 'gateway' | 'phone';

/** One capture file the gateway or a phone writes for the call. */
export interface CaptureSpec {
  /** File name in the drive's REC directory (no directory part). */
  readonly fileName: string;
  readonly side: CaptureSide;
  readonly codec: SimCodec;
  readonly packetMs: number;
  /** ms from the call's setup: first and last packet. */
  readonly start: number;
  readonly end: number;
  /** What is heard; gaps between segments are hold (no media sent). */
  readonly segments: readonly MediaSegment[];
  /**
   * Spans (ms from the call's setup, inside start..end) where media flowed but the device wrote none of it: a
   * phone's recording switched off by its user. The RTP streams go on (sequence numbers and timestamps advance);
   * only the file misses the packets.
   */
  readonly unrecorded?: ReadonlyArray<{ readonly from: number; readonly to: number }>;
  readonly impairments?: MediaImpairments;
  /** Seed for this capture's SSRCs, sequence bases and impairments. */
  readonly seed: number;
}

/** The plan of a call: everything that will happen, worked out before it is played. */
export interface PlannedCall {
  /** 1-based position in the run. */
  readonly index: number;
  /** Conference id: correlates captures, SOAP events and CDRs (reporting's `confid`); 32 hex digits. */
  readonly confId: string;
  readonly scenario: ScenarioCall;
  /** Absolute simulated time of setup (ms since epoch). */
  readonly setupTime: number;
  /** ms from setup to the (first) answer, absent when unanswered. */
  readonly answerAt?: number;
  /** ms from setup to the last release. */
  readonly endAt: number;
  readonly direction: 'inbound' | 'outbound' | 'internal';
  /** The calling and the called party as dialled. */
  readonly caller: PartyRef;
  readonly called: PartyRef;
  /** Every user leg's events, ordered by time. */
  readonly events: readonly CallEvent[];
  readonly captures: readonly CaptureSpec[];
  /** TAN entered during the call, if any. */
  readonly tan?: string;
  readonly tcr?: 'during' | 'after';
  /** A phone's recording function marked the call for TCR (a phone with marksTcr switched recording on in it). */
  readonly markedByPhone?: boolean;
  /**
   * The truth the recorder must arrive at: the agent (user number) the
   * recording is filed under, or null when the recording is to be deleted;
   * with the name of the reference's rule that decides it.
   */
  readonly expected: {
    readonly agent: string | null;
    readonly external: string | null;
    readonly rule: string;
  };
}

/** Faults the admin endpoint switches at run time; every service checks them on each request. */
export interface FaultState {
  /** SOAP answers 503 / connection refused on the active PBX. */
  soapDown: boolean;
  /** Reporting answers 503. */
  reportingDown: boolean;
  /** Extra delay before a finished call's CDR becomes visible (ms, simulated time). */
  reportingDelayMs: number;
  /** The active PBX's drive answers 503 (WebDAV). */
  webdavDown: boolean;
  /** The standby PBX's drive answers 503 (with `webdavDown` and `activePbx: 'standby'`: the active PBX failed whole). */
  standbyWebdavDown: boolean;
  /** Delay added to each WebDAV response (ms, real time). */
  driveSlowMs: number;
  /** Offset added to the times the PBX reports (SOAP, CDR) against the simulated clock (ms). */
  clockSkewMs: number;
  /** Which PBX instance is active; the other answers as standby. */
  activePbx: 'primary' | 'standby';
}

export function defaultFaults(): FaultState {
  return {
    soapDown: false,
    reportingDown: false,
    reportingDelayMs: 0,
    webdavDown: false,
    standbyWebdavDown: false,
    driveSlowMs: 0,
    clockSkewMs: 0,
    activePbx: 'primary',
  };
}

/**
 * A clock that may run faster than real time. `now()` is simulated epoch ms;
 * `sleepUntil` resolves when the simulated clock reaches `time` (or at once
 * if it has), or rejects with the signal's reason when aborted.
 */
export interface SimClock {
  readonly speed: number;
  now(): number;
  sleepUntil(time: number, signal?: AbortSignal): Promise<void>;
}

/**
 * What the call runner tells the services while calls are played. Each
 * method is called at the simulated moment the thing happens; calls are
 * independent and overlap.
 */
export interface CallObserver {
  /** A user leg changed state (SOAP CallInfo). */
  onCallEvent?(call: PlannedCall, event: CallEvent): void;
  /**
   * A conference of the call is over: every leg in it released (CDR, SOAP call end). Once for the call's own
   * conference at its end, and once for each call placed from its plan (a thread-call mark after it).
   */
  onCallEnd?(call: PlannedCall, conference: string): void;
}

/** Where the drive's files live: `<root>/DRIVE/CF0/REC/<fileName>`. */
export const DRIVE_REC_PATH = 'DRIVE/CF0/REC';
