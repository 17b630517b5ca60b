import { FieldError, mulberry32 } from '../../platform/util/index.js';
import type {
  CallEvent,
  CallKind,
  CaptureSide,
  CaptureSpec,
  MediaSegment,
  PartyRef,
  PbxDirectory,
  PbxGroup,
  PbxTrunk,
  PbxUser,
  PbxVmObject,
  PlannedCall,
  Scenario,
  ScenarioCall,
  SimCodec,
} from '../model.js';
import agentRules from './agent-rules.json' with { type: 'json' };
import { PbxInputError } from './directory.js';
import type { InputIssue } from './directory.js';

// ---------------------------------------------------------------------------
// The reference's agent-determination rules (gateway recording)
// ---------------------------------------------------------------------------

/** A named rule and what it says, in our words. */
export interface AgentRule {
  readonly name: string;
  readonly text: string;
}

/** The reference's recording rules, and those derived from them by analogy (agent-rules.json says which is which). */
export const AGENT_RULES: readonly AgentRule[] = agentRules.reference;
export const DERIVED_RULES: readonly AgentRule[] = agentRules.derived;

/** Agent in the reference's sense: a member of the recording group with a reporting licence. */
export function isAgent(user: PbxUser | undefined): boolean {
  return user !== undefined && user.recordingGroup && user.reporting;
}

// ---------------------------------------------------------------------------
// Timings (ms). Fixed so plans are easy to read; the scenario sets the rest.
// ---------------------------------------------------------------------------

/** Setup to alerting of a leg. */
const ALERT_MS = 150;
/** From putting a call on hold to the next call's setup (dialling). */
const DIAL_MS = 1000;
/** Ringing of a consulted or transferred-to party. */
const SECOND_RING_MS = 2000;
/** The announcement before an attended transfer completes. */
const ANNOUNCE_MS = 4000;
/** From the end of a consultation to retrieving the held call. */
const RETRIEVE_MS = 500;
/** The waiting queue answers the caller (recording starts here). */
const QUEUE_ANSWER_MS = 1000;
/** The IVR script collecting DTMF input. */
const IVR_MS = 6000;
/** Waiting in the queue (announcement, music) before a member is offered the call. */
const QUEUE_WAIT_MS = 2000;
/** TAN entry: hold, the digits go to the TAN object, the phone rings again and is picked up. */
const TAN_DTMF_AFTER_HOLD_MS = 1500;
const TAN_RETRIEVE_AFTER_HOLD_MS = 3000;
/** The shortest talk stretch a TAN entry fits in (with a second either side). */
const TAN_MIN_STRETCH_MS = 6000;
/** TCR during the call: the redial key, one second into the talk. */
const TCR_DURING_OFFSET_MS = 1000;
const TCR_MIN_STRETCH_MS = 2000;
/** TCR after the call: dial the TCR object after this pause; its script answers, confirms and hangs up. */
const TCR_AFTER_PAUSE_MS = 1000;
/** Conference ids of marking calls come from call indexes beyond any scenario's. */
const MARK_CALL_INDEX_BASE = 1_000_000;
const TCR_ANSWER_MS = 300;
/** Two presses of the record key are at least this far apart (a person pressing a key). */
const MIN_KEY_GAP_MS = 500;
/** A phone writes no file for less than this much recording (a key pressed just before a hold or the end). */
const MIN_PHONE_RECORDING_MS = 100;
const TCR_SCRIPT_MS = 3000;
const DEFAULT_CFNR_SECONDS = 15;

const PACKET_MS = [10, 20, 30, 40, 50, 60] as const;

// ---------------------------------------------------------------------------
// The directory, looked up by number
// ---------------------------------------------------------------------------

interface Party {
  readonly ref: PartyRef;
  readonly user?: PbxUser;
  readonly group?: PbxGroup;
  readonly vm?: PbxVmObject;
}

class DirectoryLookup {
  readonly users = new Map<string, PbxUser>();
  readonly groups = new Map<string, PbxGroup>();
  readonly vms = new Map<string, PbxVmObject>();
  readonly usersByName = new Map<string, PbxUser>();
  readonly maxInternalLength: number;

  constructor(readonly directory: PbxDirectory) {
    for (const user of directory.users) {
      this.users.set(user.number, user);
      this.usersByName.set(user.name, user);
    }
    for (const group of directory.groups) this.groups.set(group.number, group);
    for (const vm of directory.vmObjects) this.vms.set(vm.number, vm);
    const lengths = [...this.users.keys(), ...this.groups.keys(), ...this.vms.keys()].map((n) => n.length);
    this.maxInternalLength = Math.max(0, ...lengths);
  }

  isExternal(number: string): boolean {
    return /^[0-9]+$/.test(number) && number.length > this.maxInternalLength && !this.users.has(number) && !this.groups.has(number) && !this.vms.has(number);
  }

  /** The trunk an external number goes through: the longest matching prefix, else the first trunk. */
  trunkFor(number: string): PbxTrunk | undefined {
    let best: PbxTrunk | undefined;
    for (const trunk of this.directory.trunks) {
      if (number.startsWith(trunk.prefix) && (!best || trunk.prefix.length > best.prefix.length)) best = trunk;
    }
    return best ?? this.directory.trunks[0];
  }

  vmWithRole(role: PbxVmObject['role']): PbxVmObject | undefined {
    return this.directory.vmObjects.find((vm) => vm.role === role);
  }

  party(number: string): Party | undefined {
    const user = this.users.get(number);
    if (user) return { ref: userRef(user), user };
    const group = this.groups.get(number);
    if (group) return { ref: { number, name: group.name, object: group.name, external: false }, group };
    const vm = this.vms.get(number);
    if (vm) return vmParty(vm);
    if (this.isExternal(number)) return { ref: { number, external: true } };
    return undefined;
  }
}

function userRef(user: PbxUser): PartyRef {
  return { number: user.number, name: user.displayName, object: user.name, external: false };
}

function vmParty(vm: PbxVmObject): Party {
  return { ref: { number: vm.number, name: vm.name, object: vm.name, external: false }, vm };
}

const lookups = new WeakMap<PbxDirectory, DirectoryLookup>();
function lookupFor(directory: PbxDirectory): DirectoryLookup {
  let lookup = lookups.get(directory);
  if (!lookup) {
    lookup = new DirectoryLookup(directory);
    lookups.set(directory, lookup);
  }
  return lookup;
}

// ---------------------------------------------------------------------------
// Checking and resolving one scenario call
// ---------------------------------------------------------------------------

/** A problem with one field of one scenario call. */
class CallProblem extends FieldError {}

interface ResolvedCall {
  readonly call: ScenarioCall;
  readonly kind: CallKind;
  readonly from: Party;
  readonly to: Party;
  readonly via?: Party;
  /** The internal party that transfers or consults (transfer and consult kinds). */
  readonly by?: Party;
  /** The outside party, if any (there is at most one). */
  readonly external?: Party;
  readonly ringMs: number;
  readonly talkMs: number;
  readonly secondMs: number;
  readonly codec: SimCodec;
  readonly packetMs: number;
  readonly tanObject?: PbxVmObject;
  readonly tcrObject?: PbxVmObject;
}

/** Kinds with a third party (`via`). */
const VIA_KINDS: ReadonlySet<CallKind> = new Set(['pickup', 'group', 'queue', 'cfu', 'cfb', 'cfnr', 'blind-transfer', 'attended-transfer', 'consult']);
const THIRD_PARTY_KINDS: ReadonlySet<CallKind> = new Set(['blind-transfer', 'attended-transfer', 'consult']);

function seconds(field: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const s = value ?? fallback;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < min || s > max) throw new CallProblem(field, `must be ${min}..${max} seconds, got ${String(s)}`);
  return Math.round(s * 1000);
}

function describe(lookup: DirectoryLookup, number: string): string {
  const party = lookup.party(number);
  if (!party) return 'unknown';
  if (party.user) return 'a user';
  if (party.group) return `a ${party.group.kind === 'queue' ? 'waiting queue' : 'broadcast group'}`;
  if (party.vm) return `a ${party.vm.role.toUpperCase()} object`;
  return 'an external number';
}

function resolveCall(lookup: DirectoryLookup, call: ScenarioCall): ResolvedCall {
  const kind = call.kind;
  if (typeof call.at !== 'number' || !Number.isFinite(call.at) || call.at < 0) throw new CallProblem('at', `must be a number of seconds >= 0, got ${String(call.at)}`);

  const partyAt = (field: 'from' | 'to' | 'via' | 'by', number: string | undefined): Party => {
    if (typeof number !== 'string' || !/^[0-9]+$/.test(number)) throw new CallProblem(field, `must be a number (digits only), got ${JSON.stringify(number)}`);
    const party = lookup.party(number);
    if (!party) {
      throw new CallProblem(
        field,
        `"${number}" is no number of the directory, and too short for an external number (external numbers have more than ${lookup.maxInternalLength} digits)`,
      );
    }
    return party;
  };
  const wantUser = (field: 'from' | 'to' | 'via' | 'by', party: Party): PbxUser => {
    if (!party.user) throw new CallProblem(field, `"${party.ref.number}" must be a user for kind "${kind}", but it is ${describe(lookup, party.ref.number)}`);
    return party.user;
  };
  const wantExternal = (field: 'from' | 'to', party: Party): void => {
    if (!party.ref.external) throw new CallProblem(field, `"${party.ref.number}" must be an external number for kind "${kind}", but it is ${describe(lookup, party.ref.number)}`);
  };
  const wantUserOrExternal = (field: 'from' | 'to' | 'via', party: Party): void => {
    if (!party.user && !party.ref.external) {
      throw new CallProblem(field, `"${party.ref.number}" must be a user or an external number for kind "${kind}", but it is ${describe(lookup, party.ref.number)}`);
    }
  };

  const from = partyAt('from', call.from);
  const to = partyAt('to', call.to);
  let via: Party | undefined = call.via !== undefined ? partyAt('via', call.via) : undefined;
  let by: Party | undefined;
  const needVia = (): Party => {
    if (!via) throw new CallProblem('via', `is required for kind "${kind}"`);
    return via;
  };
  if (call.by !== undefined && !THIRD_PARTY_KINDS.has(kind)) throw new CallProblem('by', `only the transfer and consult kinds take "by", not "${kind}"`);

  switch (kind) {
    case 'inbound':
      wantExternal('from', from);
      wantUser('to', to);
      break;
    case 'outbound':
      wantUser('from', from);
      wantExternal('to', to);
      break;
    case 'internal':
      wantUser('from', from);
      wantUser('to', to);
      break;
    case 'pickup':
      wantExternal('from', from);
      wantUser('to', to);
      wantUser('via', needVia());
      break;
    case 'group':
    case 'queue': {
      wantExternal('from', from);
      const want = kind === 'group' ? 'broadcast' : 'queue';
      if (!to.group || to.group.kind !== want) {
        throw new CallProblem('to', `"${to.ref.number}" must be a ${kind === 'group' ? 'broadcast group' : 'waiting queue'} for kind "${kind}", but it is ${describe(lookup, to.ref.number)}`);
      }
      const member = wantUser('via', needVia());
      if (!to.group.members.includes(member.name)) throw new CallProblem('via', `user "${member.number}" (${member.name}) is no member of group "${to.group.name}"`);
      break;
    }
    case 'blind-transfer':
    case 'attended-transfer':
    case 'consult': {
      wantUserOrExternal('from', from);
      wantUserOrExternal('to', to);
      wantUserOrExternal('via', needVia());
      const externals = [from, to, via].filter((p) => p?.ref.external).length;
      if (externals > 1) throw new CallProblem(from.ref.external ? 'to' : 'from', 'at most one party of a call can be external');
      if (call.by !== undefined) {
        wantUser('by', partyAt('by', call.by));
        if (call.by !== call.from && call.by !== call.to) throw new CallProblem('by', `"${call.by}" must be "from" or "to" of the call`);
        // The same party object as from/to: the timeline compares parties by identity.
        by = call.by === call.from ? from : to;
      } else {
        // Default: the internal end; with two internal ends, the called one.
        by = to.user ? to : from;
      }
      break;
    }
    case 'cfu':
    case 'cfb':
    case 'cfnr': {
      wantExternal('from', from);
      const forwarding = wantUser('to', to);
      if (!via) {
        const target = forwarding.forward?.[kind];
        if (target === undefined) throw new CallProblem('via', `is required: user "${forwarding.number}" has no ${kind.toUpperCase()} forward in the directory`);
        via = partyAt('via', target);
      }
      wantUser('via', via);
      break;
    }
    case 'unanswered': {
      if (!from.user && !from.ref.external) throw new CallProblem('from', `"${from.ref.number}" must be a user or an external number, but it is ${describe(lookup, from.ref.number)}`);
      if (!to.user && !to.ref.external && to.group?.kind !== 'broadcast') {
        throw new CallProblem('to', `"${to.ref.number}" must be a user, a broadcast group or an external number, but it is ${describe(lookup, to.ref.number)}`);
      }
      if (from.ref.external && to.ref.external) throw new CallProblem('to', 'at most one party of a call can be external');
      if (call.via !== undefined) throw new CallProblem('via', 'an unanswered call has no third party');
      break;
    }
    default:
      throw new CallProblem('kind', `unknown kind ${JSON.stringify(kind)}`);
  }
  if (via && !VIA_KINDS.has(kind)) {
    throw new CallProblem('via', `kind "${kind}" has no third party`);
  }
  if (from.ref.number === to.ref.number) throw new CallProblem('to', 'must differ from "from"');
  if (via && (via.ref.number === from.ref.number || via.ref.number === to.ref.number)) throw new CallProblem('via', 'must differ from "from" and "to"');

  const external = [from, to, via].find((p): p is Party => p !== undefined && p.ref.external);
  if (external && lookup.directory.trunks.length === 0) throw new CallProblem(external === from ? 'from' : external === to ? 'to' : 'via', 'the directory has no trunk for external numbers');

  const codec = call.codec ?? 'pcma';
  if (!['pcma', 'pcmu', 'g722', 'g729'].includes(codec)) throw new CallProblem('codec', `must be pcma, pcmu, g722 or g729, got ${JSON.stringify(codec)}`);
  const packetMs = call.packetMs ?? 20;
  if (!(PACKET_MS as readonly number[]).includes(packetMs)) throw new CallProblem('packetMs', `must be one of ${PACKET_MS.join(', ')}, got ${String(packetMs)}`);

  let tanObject: PbxVmObject | undefined;
  let tcrObject: PbxVmObject | undefined;
  if (call.tan !== undefined) {
    if (typeof call.tan !== 'string' || !/^[0-9]{6}$/.test(call.tan)) throw new CallProblem('tan', `a TAN is exactly 6 digits, got ${JSON.stringify(call.tan)}`);
    if (kind === 'unanswered') throw new CallProblem('tan', 'a TAN is entered during the conversation; an unanswered call has none');
    tanObject = lookup.vmWithRole('tan');
    if (!tanObject) throw new CallProblem('tan', 'the directory has no VM object with role "tan"');
  }
  if (call.tcr !== undefined) {
    if (call.tcr !== 'during' && call.tcr !== 'after') throw new CallProblem('tcr', `must be "during" or "after", got ${JSON.stringify(call.tcr)}`);
    if (kind === 'unanswered') throw new CallProblem('tcr', 'an unanswered call has nothing to mark');
    tcrObject = lookup.vmWithRole('tcr');
    if (!tcrObject) throw new CallProblem('tcr', 'the directory has no VM object with role "tcr"');
  }
  if (call.recordKey !== undefined) {
    if (!Array.isArray(call.recordKey)) throw new CallProblem('recordKey', `must be a list of seconds after the answer, got ${JSON.stringify(call.recordKey)}`);
    if (kind === 'unanswered') throw new CallProblem('recordKey', 'an unanswered call has no conversation to record');
    call.recordKey.forEach((at, i) => {
      if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) throw new CallProblem(`recordKey[${i}]`, `must be seconds ≥ 0 after the answer, got ${String(at)}`);
      const before = call.recordKey![i - 1];
      if (before !== undefined && at - before < MIN_KEY_GAP_MS / 1000) throw new CallProblem(`recordKey[${i}]`, `must come at least ${MIN_KEY_GAP_MS / 1000} s after the press before (${before} s), got ${at} s`);
    });
  }
  const impairments = call.impairments;
  if (impairments !== undefined) {
    for (const key of ['loss', 'reorder', 'duplicate'] as const) {
      const v = impairments[key];
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v <= 1))) throw new CallProblem(`impairments.${key}`, `must be a fraction 0..1, got ${String(v)}`);
    }
    const j = impairments.jitterMs;
    if (j !== undefined && (typeof j !== 'number' || !(j >= 0 && j <= 1000))) throw new CallProblem('impairments.jitterMs', `must be 0..1000 ms, got ${String(j)}`);
  }
  if (call.captureSide !== undefined && call.captureSide !== 'gateway' && call.captureSide !== 'phone') {
    throw new CallProblem('captureSide', `must be "gateway" or "phone", got ${JSON.stringify(call.captureSide)}`);
  }

  return {
    call,
    kind,
    from,
    to,
    ...(via ? { via } : {}),
    ...(by ? { by } : {}),
    ...(external ? { external } : {}),
    ringMs: seconds('ringSeconds', call.ringSeconds, 3, 0, 600),
    talkMs: seconds('talkSeconds', call.talkSeconds, 20, 1, 3600),
    secondMs: seconds('secondTalkSeconds', call.secondTalkSeconds, 10, 1, 3600),
    codec,
    packetMs,
    ...(tanObject ? { tanObject } : {}),
    ...(tcrObject ? { tcrObject } : {}),
  };
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

interface RuleOutcome {
  readonly agent: string | null;
  readonly rule: string;
}

function outcome(rule: string, agent: Party | null | undefined): RuleOutcome {
  return { rule, agent: agent ? agent.ref.number : null };
}

/** The reference's rule for a resolved call, as if it were recorded on the gateway. */
function referenceRule(r: ResolvedCall): RuleOutcome {
  const A = (p: Party | undefined): boolean => isAgent(p?.user);
  const { from, to, via, by } = r;
  if (r.kind === 'unanswered') return outcome('unanswered', null);
  if (!r.external) {
    // Only phones record calls without an outside party.
    const agent = [to, from, via].find((p) => A(p));
    return outcome('internal-call', agent);
  }
  switch (r.kind) {
    case 'inbound':
      return A(to) ? outcome('external-to-agent', to) : outcome('external-to-user', null);
    case 'outbound':
      return A(from) ? outcome('agent-to-external', from) : outcome('user-to-external', null);
    case 'internal':
      return outcome('internal-call', [to, from].find((p) => A(p)));
    case 'pickup':
      if (A(to) && A(via)) return outcome('pickup-agentB-of-agentA-call', to);
      if (A(to)) return outcome('pickup-user-of-agent-call', to);
      if (A(via)) return outcome('pickup-agent-of-user-call', via);
      return outcome('pickup-user-of-user-call', null);
    case 'group':
      return A(via) ? outcome('broadcast-agent-answers', via) : outcome('broadcast-user-answers', null);
    case 'queue':
      return A(via) ? outcome('queue-ivr-agent-answers', via) : outcome('queue-ivr-user-answers', null);
    case 'blind-transfer':
    case 'attended-transfer':
      if (via?.ref.external) {
        if (by === to && A(from) && !A(to)) return outcome('agent-to-user-transfer-to-external', null);
        if (by === to && !A(from) && A(to)) return outcome('user-to-agent-transfer-to-external', to);
        return A(by) ? outcome('transfer-to-external-by-agent', by) : outcome('transfer-to-external-by-user', null);
      }
      if (from.ref.external) {
        if (A(by) && A(via)) return outcome('transfer-agentA-to-agentB', by);
        if (A(by)) return outcome('external-to-agent-transfer-to-user', by);
        if (A(via)) return outcome('external-to-user-transfer-to-agent', via);
        return outcome('external-to-user-transfer-to-user', null);
      }
      if (A(by) && A(via)) return outcome('agentA-to-external-transfer-to-agentB', by);
      if (A(by)) return outcome('agent-to-external-transfer-to-user', by);
      if (A(via)) return outcome('user-to-external-transfer-to-agent', via);
      return outcome('user-to-external-transfer-to-user', null);
    case 'consult':
      if (via?.ref.external) {
        if (by === to && !A(from) && A(to)) return outcome('user-to-agent-consult-external', to);
        return A(by) ? outcome('consult-external-by-agent', by) : outcome('consult-external-by-user', null);
      }
      if (from.ref.external) return A(by) ? outcome('external-to-agent-consult', by) : outcome('external-to-user-consult', null);
      if (A(by) && A(via)) return outcome('agent-to-external-consult-agent', by);
      if (A(by)) return outcome('agent-to-external-consult-user', by);
      if (A(via)) return outcome('user-to-external-consult-agent', null);
      return outcome('user-to-external-consult-user', null);
    case 'cfu':
    case 'cfb':
      if (A(to) && A(via)) return outcome(`${r.kind}-agentA-to-agentB`, via);
      if (A(to)) return outcome(`${r.kind}-agent-to-user`, null);
      if (A(via)) return outcome(`${r.kind}-user-to-agent`, via);
      return outcome(`${r.kind}-user-to-user`, null);
    case 'cfnr':
      if (A(to) && A(via)) return outcome('cfnr-agentA-to-agentB', to);
      if (A(to)) return outcome('cfnr-agent-to-user', to);
      if (A(via)) return outcome('cfnr-user-to-agent', via);
      return outcome('cfnr-user-to-user', null);
  }
}

/** "The longest number involved": the outside party; without one, the longest other number. */
function externalNumber(r: ResolvedCall, agent: string | null): string | null {
  if (r.external) return r.external.ref.number;
  const numbers = [r.to, r.from, r.via].filter((p): p is Party => p !== undefined).map((p) => p.ref.number);
  const others = numbers.filter((n) => n !== agent);
  let best: string | null = null;
  for (const n of others) if (best === null || n.length > best.length) best = n;
  return best;
}

// ---------------------------------------------------------------------------
// Timeline: legs, events, talk stretches
// ---------------------------------------------------------------------------

interface Leg {
  readonly handle: number;
  readonly user: PbxUser;
  readonly outgoing: boolean;
  peer: PartyRef;
}

/** Two parties connected with media between `from` and `to` (ms from setup). */
interface Stretch {
  readonly from: number;
  readonly to: number;
  readonly a: Party;
  readonly b: Party;
  /** The user legs carrying the stretch, by user name. */
  readonly legs: ReadonlyMap<string, Leg>;
}

class Timeline {
  readonly events: CallEvent[] = [];
  readonly stretches: Stretch[] = [];

  constructor(private readonly nextHandle: () => number) {}

  /** A leg for `party` if it is a user (other objects have no legs SOAP reports). */
  open(party: Party | undefined, outgoing: boolean, peer: Party): Leg | undefined {
    if (!party?.user) return undefined;
    return { handle: this.nextHandle(), user: party.user, outgoing, peer: peer.ref };
  }

  event(leg: Leg | undefined, at: number, type: CallEvent['type'], detail?: string, peer?: Party): void {
    if (!leg) return;
    if (peer) leg.peer = peer.ref;
    this.events.push({ at, type, user: leg.user.name, leg: leg.handle, peer: leg.peer, outgoing: leg.outgoing, ...(detail !== undefined ? { detail } : {}) });
  }

  /** An event with a peer of its own, added after the timeline is built: the leg's current peer stays as it is. */
  note(leg: Leg, at: number, type: CallEvent['type'], peer: PartyRef, detail?: string): void {
    this.events.push({ at, type, user: leg.user.name, leg: leg.handle, peer, outgoing: leg.outgoing, ...(detail !== undefined ? { detail } : {}) });
  }

  talk(from: number, to: number, a: Party, legA: Leg | undefined, b: Party, legB: Leg | undefined): void {
    if (to <= from) return;
    const legs = new Map<string, Leg>();
    if (legA) legs.set(legA.user.name, legA);
    if (legB) legs.set(legB.user.name, legB);
    this.stretches.push({ from, to, a, b, legs });
  }

  /** Ordered by time; events at the same moment keep the order they were made in. */
  sortedEvents(): CallEvent[] {
    return this.events.map((event, i) => ({ event, i })).sort((x, y) => x.event.at - y.event.at || x.i - y.i).map((x) => x.event);
  }
}

interface Worked {
  readonly answerAt?: number;
  /** Last release of the conversation itself (before any TCR-after leg). */
  readonly endAt: number;
}

/** A plain two-party call: setup, ringing, answer at `answer`, talk until `end`. */
function basicCall(tl: Timeline, caller: Party, called: Party, r: ResolvedCall, answer: number): { callerLeg?: Leg; calledLeg?: Leg } {
  const callerLeg = tl.open(caller, true, called);
  const calledLeg = tl.open(called, false, caller);
  const alert = Math.min(ALERT_MS, r.ringMs);
  tl.event(callerLeg, 0, 'setup');
  tl.event(calledLeg, 0, 'setup');
  tl.event(calledLeg, alert, 'alert');
  tl.event(callerLeg, alert, 'alert');
  tl.event(callerLeg, answer, 'connect');
  tl.event(calledLeg, answer, 'connect');
  return { ...(callerLeg ? { callerLeg } : {}), ...(calledLeg ? { calledLeg } : {}) };
}

function buildTimeline(tl: Timeline, r: ResolvedCall, lookup: DirectoryLookup): Worked {
  const R = r.ringMs;
  const T = r.talkMs;
  const alert = Math.min(ALERT_MS, R);
  const { from, to } = r;
  switch (r.kind) {
    case 'inbound':
    case 'outbound':
    case 'internal': {
      const { callerLeg, calledLeg } = basicCall(tl, from, to, r, R);
      tl.talk(R, R + T, from, callerLeg, to, calledLeg);
      tl.event(callerLeg, R + T, 'release', 'normal');
      tl.event(calledLeg, R + T, 'release', 'normal');
      return { answerAt: R, endAt: R + T };
    }
    case 'pickup': {
      const via = r.via!;
      const rung = tl.open(to, false, from);
      tl.event(rung, 0, 'setup');
      tl.event(rung, alert, 'alert');
      tl.event(rung, R, 'pickup', via.ref.number);
      tl.event(rung, R, 'release', 'picked-up');
      const picker = tl.open(via, false, from);
      tl.event(picker, R, 'setup');
      tl.event(picker, R, 'pickup', to.ref.number);
      tl.event(picker, R, 'connect');
      tl.talk(R, R + T, via, picker, from, undefined);
      tl.event(picker, R + T, 'release', 'normal');
      return { answerAt: R, endAt: R + T };
    }
    case 'group': {
      const group = to.group!;
      const via = r.via!;
      for (const name of group.members) {
        const member = lookup.usersByName.get(name);
        if (!member) continue;
        const memberParty: Party = { ref: userRef(member), user: member };
        const leg = tl.open(memberParty, false, from);
        tl.event(leg, 0, 'setup');
        tl.event(leg, alert, 'alert');
        if (member.number === via.ref.number) {
          tl.event(leg, R, 'connect');
          tl.talk(R, R + T, memberParty, leg, from, undefined);
          tl.event(leg, R + T, 'release', 'normal');
        } else {
          tl.event(leg, R, 'release', 'answered-elsewhere');
        }
      }
      return { answerAt: R, endAt: R + T };
    }
    case 'queue': {
      const via = r.via!;
      const ivr = lookup.vmWithRole('ivr');
      // The queue answers at once (recording starts), hands the caller to the
      // IVR script for DTMF input, takes it back and offers it to a member.
      const ivrEnd = QUEUE_ANSWER_MS + (ivr ? IVR_MS : 0);
      if (ivr) tl.talk(QUEUE_ANSWER_MS, ivrEnd, vmParty(ivr), undefined, from, undefined);
      const offer = ivrEnd + QUEUE_WAIT_MS;
      const answer = offer + R;
      tl.talk(ivrEnd, answer, to, undefined, from, undefined);
      const leg = tl.open(via, false, from);
      tl.event(leg, offer, 'setup');
      tl.event(leg, offer + alert, 'alert');
      tl.event(leg, answer, 'connect');
      tl.talk(answer, answer + T, via, leg, from, undefined);
      tl.event(leg, answer + T, 'release', 'normal');
      return { answerAt: QUEUE_ANSWER_MS, endAt: answer + T };
    }
    case 'blind-transfer':
    case 'attended-transfer':
    case 'consult':
      return thirdPartyCall(tl, r);
    case 'cfu':
    case 'cfb':
    case 'cfnr': {
      const via = r.via!;
      const forwarding = tl.open(to, false, from);
      let offer = 0;
      tl.event(forwarding, 0, 'setup');
      if (r.kind === 'cfnr') {
        offer = (to.user?.forward?.cfnrSeconds ?? DEFAULT_CFNR_SECONDS) * 1000;
        tl.event(forwarding, alert, 'alert');
        tl.event(forwarding, offer, 'forward', 'cfnr', via);
        tl.event(forwarding, offer, 'release', 'no-answer');
      } else {
        tl.event(forwarding, 0, 'forward', r.kind, via);
        tl.event(forwarding, 0, 'release', r.kind === 'cfb' ? 'busy' : 'forwarded');
      }
      const target = tl.open(via, false, from);
      tl.event(target, offer, 'setup');
      tl.event(target, offer + alert, 'alert');
      tl.event(target, offer + R, 'connect');
      tl.talk(offer + R, offer + R + T, via, target, from, undefined);
      tl.event(target, offer + R + T, 'release', 'normal');
      return { answerAt: offer + R, endAt: offer + R + T };
    }
    case 'unanswered': {
      const callerLeg = tl.open(from, true, to);
      tl.event(callerLeg, 0, 'setup');
      tl.event(callerLeg, alert, 'alert');
      const called: Party[] = to.group
        ? to.group.members.flatMap((name) => {
            const member = lookup.usersByName.get(name);
            return member ? [{ ref: userRef(member), user: member }] : [];
          })
        : [to];
      const calledLegs = called.map((party) => tl.open(party, false, from));
      for (const leg of calledLegs) tl.event(leg, 0, 'setup');
      for (const leg of calledLegs) tl.event(leg, alert, 'alert');
      tl.event(callerLeg, R, 'release', 'normal');
      for (const leg of calledLegs) tl.event(leg, R, 'release', 'no-answer');
      return { endAt: R };
    }
  }
}

/** Transfers (blind, attended) and consultation: `by` holds the first call and calls `via`. */
function thirdPartyCall(tl: Timeline, r: ResolvedCall): Worked {
  const { from, to } = r;
  const via = r.via!;
  const by = r.by!;
  const other = by === from ? to : from;
  const R = r.ringMs;
  const T = r.talkMs;
  const S = r.secondMs;
  // Consultation splits the first conversation around the held part.
  const firstTalk = r.kind === 'consult' ? Math.floor(T / 2) : T;
  const { callerLeg, calledLeg } = basicCall(tl, from, to, r, R);
  const byLeg = by === from ? callerLeg : calledLeg;
  const otherLeg = by === from ? calledLeg : callerLeg;
  const hold = R + firstTalk;
  tl.talk(R, hold, from, callerLeg, to, calledLeg);
  tl.event(byLeg, hold, 'hold');
  const dial = hold + DIAL_MS;
  const secondAlert = dial + Math.min(ALERT_MS, SECOND_RING_MS);
  const secondAnswer = dial + SECOND_RING_MS;

  if (r.kind === 'blind-transfer') {
    // Transfer without consultation: `via` rings for the other party directly.
    tl.event(byLeg, dial, 'transfer', via.ref.number, via);
    tl.event(byLeg, dial, 'release', 'transferred');
    tl.event(otherLeg, dial, 'transfer', via.ref.number, via);
    const viaLeg = tl.open(via, false, other);
    tl.event(viaLeg, dial, 'setup');
    tl.event(viaLeg, secondAlert, 'alert');
    tl.event(viaLeg, secondAnswer, 'connect');
    tl.talk(secondAnswer, secondAnswer + S, other, otherLeg, via, viaLeg);
    tl.event(otherLeg, secondAnswer + S, 'release', 'normal');
    tl.event(viaLeg, secondAnswer + S, 'release', 'normal');
    return { answerAt: R, endAt: secondAnswer + S };
  }

  // Attended transfer and consultation: `by` calls `via` on a second leg.
  const consultLeg = tl.open(by, true, via);
  const viaLeg = tl.open(via, false, by);
  tl.event(consultLeg, dial, 'setup');
  tl.event(viaLeg, dial, 'setup');
  tl.event(viaLeg, secondAlert, 'alert');
  tl.event(consultLeg, secondAlert, 'alert');
  tl.event(consultLeg, secondAnswer, 'connect');
  tl.event(viaLeg, secondAnswer, 'connect');

  if (r.kind === 'attended-transfer') {
    const transfer = secondAnswer + ANNOUNCE_MS;
    tl.talk(secondAnswer, transfer, by, consultLeg, via, viaLeg);
    tl.event(byLeg, transfer, 'transfer', via.ref.number, via);
    tl.event(consultLeg, transfer, 'transfer', via.ref.number, other);
    tl.event(byLeg, transfer, 'release', 'transferred');
    tl.event(consultLeg, transfer, 'release', 'transferred');
    tl.event(otherLeg, transfer, 'transfer', via.ref.number, via);
    tl.event(viaLeg, transfer, 'transfer', via.ref.number, other);
    tl.talk(transfer, transfer + S, other, otherLeg, via, viaLeg);
    tl.event(otherLeg, transfer + S, 'release', 'normal');
    tl.event(viaLeg, transfer + S, 'release', 'normal');
    return { answerAt: R, endAt: transfer + S };
  }

  // Consult: talk to `via`, hang up, retrieve the held call and finish it.
  const consultEnd = secondAnswer + S;
  tl.talk(secondAnswer, consultEnd, by, consultLeg, via, viaLeg);
  tl.event(consultLeg, consultEnd, 'release', 'normal');
  tl.event(viaLeg, consultEnd, 'release', 'normal');
  const retrieve = consultEnd + RETRIEVE_MS;
  tl.event(byLeg, retrieve, 'retrieve');
  const end = retrieve + (T - firstTalk);
  tl.talk(retrieve, end, from, callerLeg, to, calledLeg);
  tl.event(callerLeg, end, 'release', 'normal');
  tl.event(calledLeg, end, 'release', 'normal');
  return { answerAt: R, endAt: end };
}

/** Stretches `user` talks in. */
function stretchesOf(tl: Timeline, user: PbxUser): Stretch[] {
  return tl.stretches.filter((s) => s.legs.has(user.name));
}

function lengthOf(s: Stretch): number {
  return s.to - s.from;
}

/** The stretch a marking happens in: the longest with the outside party that fits, else the longest that fits. */
function stretchFor(tl: Timeline, user: PbxUser, minMs: number): Stretch | undefined {
  const fitting = stretchesOf(tl, user).filter((s) => lengthOf(s) >= minMs);
  const longest = (list: Stretch[]): Stretch | undefined => list.reduce<Stretch | undefined>((best, s) => (!best || lengthOf(s) > lengthOf(best) ? s : best), undefined);
  return longest(fitting.filter((s) => s.a.ref.external || s.b.ref.external)) ?? longest(fitting);
}

/**
 * Who marks (TAN, TCR): the Agent the call is filed under if they talk long
 * enough, else the user with the longest talk. For TCR, when caller and
 * called are both Agents the called one marks (the reference: a mark by the
 * calling Agent would not keep the record).
 */
function marker(tl: Timeline, r: ResolvedCall, agent: string | null, minMs: number, forTcr: boolean): PbxUser | undefined {
  // minMs 0 (TCR after the call): anyone who talked in the call can mark it.
  const fits = (user: PbxUser | undefined): user is PbxUser =>
    user !== undefined && (minMs > 0 ? stretchFor(tl, user, minMs) !== undefined : stretchesOf(tl, user).length > 0);
  if (forTcr && isAgent(r.from.user) && isAgent(r.to.user) && fits(r.to.user)) return r.to.user;
  const agentUser = agent !== null ? [r.from, r.to, r.via].find((p) => p?.user && p.ref.number === agent)?.user : undefined;
  if (fits(agentUser)) return agentUser;
  let best: { user: PbxUser; length: number } | undefined;
  for (const s of tl.stretches) {
    for (const leg of s.legs.values()) {
      if (!best || lengthOf(s) > best.length) best = { user: leg.user, length: lengthOf(s) };
    }
  }
  return fits(best?.user) ? best.user : undefined;
}

function addTcrDuring(tl: Timeline, r: ResolvedCall, agent: string | null): void {
  const user = marker(tl, r, agent, TCR_MIN_STRETCH_MS, true);
  const stretch = user ? stretchFor(tl, user, TCR_MIN_STRETCH_MS) : undefined;
  if (!user || !stretch) throw new CallProblem('tcr', `no conversation of ${TCR_MIN_STRETCH_MS / 1000} s or more to mark during`);
  const tcr = r.tcrObject!;
  tl.note(stretch.legs.get(user.name)!, stretch.from + TCR_DURING_OFFSET_MS, 'dtmf', vmParty(tcr).ref, tcr.number);
}

/** The party `user` talks to in a stretch. */
function farEnd(stretch: Stretch, user: PbxUser): PartyRef {
  return stretch.a.user === user ? stretch.b.ref : stretch.a.ref;
}

function addTan(tl: Timeline, r: ResolvedCall, agent: string | null): void {
  const user = marker(tl, r, agent, TAN_MIN_STRETCH_MS, false);
  const stretch = user ? stretchFor(tl, user, TAN_MIN_STRETCH_MS) : undefined;
  if (!user || !stretch) throw new CallProblem('tan', `no conversation of ${TAN_MIN_STRETCH_MS / 1000} s or more to enter the TAN in (raise talkSeconds)`);
  const leg = stretch.legs.get(user.name)!;
  const far = farEnd(stretch, user);
  // The phone drops the far party to a tone while the TAN goes to the TAN
  // object, then rings again and is picked up: hold, dtmf, retrieve.
  const hold = stretch.from + Math.max(TAN_DTMF_AFTER_HOLD_MS, Math.floor((lengthOf(stretch) - TAN_RETRIEVE_AFTER_HOLD_MS) / 20) * 10);
  const retrieve = hold + TAN_RETRIEVE_AFTER_HOLD_MS;
  tl.note(leg, hold, 'hold', far);
  tl.note(leg, hold + TAN_DTMF_AFTER_HOLD_MS, 'dtmf', vmParty(r.tanObject!).ref, r.call.tan!);
  tl.note(leg, retrieve, 'retrieve', far);
  const i = tl.stretches.indexOf(stretch);
  tl.stretches.splice(i, 1, { ...stretch, to: hold }, { ...stretch, from: retrieve });
}

/** The marking call after the call: the agent calls the TCR object (a call of its own); its end and leg handle. */
function addTcrAfter(tl: Timeline, r: ResolvedCall, agent: string | null, end: number): { endAt: number; leg: number } {
  const user = marker(tl, r, agent, 0, true);
  if (!user) throw new CallProblem('tcr', 'nobody talked in this call, so nobody can mark it');
  const tcr = vmParty(r.tcrObject!);
  const leg = tl.open({ ref: userRef(user), user }, true, tcr)!;
  const setup = end + (r.call.tcrAfterSeconds !== undefined ? Math.round(r.call.tcrAfterSeconds * 1000) : TCR_AFTER_PAUSE_MS);
  tl.event(leg, setup, 'setup');
  tl.event(leg, setup + TCR_ANSWER_MS, 'connect');
  tl.event(leg, setup + TCR_ANSWER_MS + TCR_SCRIPT_MS, 'release', 'normal');
  return { endAt: setup + TCR_ANSWER_MS + TCR_SCRIPT_MS, leg: leg.handle };
}

// ---------------------------------------------------------------------------
// Phones' own recording modes (manual / transparent / optional)
// ---------------------------------------------------------------------------

/** A span of a call (ms from setup); `to` may be Infinity (on until the call ends). */
interface Span {
  readonly from: number;
  readonly to: number;
}

const ALWAYS: readonly Span[] = [{ from: 0, to: Number.POSITIVE_INFINITY }];

/** Whether the record key switches this user's phone recording (manual or optional mode). */
function switchable(user: PbxUser): boolean {
  return user.phoneRecording !== undefined && user.phoneRecording.mode !== 'transparent';
}

/** When `user`'s phone records (ms from setup), given the record-key presses of the call (ms from setup). */
function recordingSpans(user: PbxUser, presses: readonly number[]): readonly Span[] {
  const mode = user.phoneRecording?.mode ?? 'transparent';
  if (mode === 'transparent') return ALWAYS;
  const spans: Span[] = [];
  let on = mode === 'optional';
  let since = 0;
  for (const at of presses) {
    if (on) spans.push({ from: since, to: at });
    else since = at;
    on = !on;
  }
  if (on) spans.push({ from: since, to: Number.POSITIVE_INFINITY });
  return spans;
}

/** The parts of `from..to` that lie in `spans`, each at least `minMs` long. */
function clip(spans: readonly Span[], from: number, to: number, minMs: number): Span[] {
  const parts: Span[] = [];
  for (const span of spans) {
    const part = { from: Math.max(span.from, from), to: Math.min(span.to, to) };
    if (part.to - part.from >= minMs) parts.push(part);
  }
  return parts;
}

/** The call's record-key presses (ms from setup), checked against who can press it and when the call lasts. */
function recordKeyPresses(tl: Timeline, r: ResolvedCall, worked: Worked): number[] {
  const keys = r.call.recordKey;
  if (keys === undefined || keys.length === 0) return [];
  const users = new Set(tl.stretches.flatMap((s) => [...s.legs.values()].map((leg) => leg.user)));
  if (![...users].some(switchable)) throw new CallProblem('recordKey', 'nobody talking in this call has a phone in manual or optional recording mode');
  const answer = worked.answerAt ?? 0;
  return keys.map((seconds, i) => {
    const at = answer + Math.round(seconds * 1000);
    if (at >= worked.endAt) throw new CallProblem(`recordKey[${i}]`, `a press ${seconds} s after the answer comes after the call ended (${(worked.endAt - answer) / 1000} s after it)`);
    return at;
  });
}

/**
 * A phone whose recording function calls the TCR object marks the call each time its recording switches on in a
 * conversation: at the start of each talk stretch it is on for, and at each press that switches it on.
 */
function addPhoneTcrMarks(tl: Timeline, lookup: DirectoryLookup, presses: readonly number[]): boolean {
  const tcr = lookup.vmWithRole('tcr');
  let marked = false;
  for (const s of [...tl.stretches].sort((x, y) => x.from - y.from)) {
    for (const leg of s.legs.values()) {
      if (leg.user.phoneRecording?.marksTcr !== true || !tcr) continue;
      for (const part of clip(recordingSpans(leg.user, presses), s.from, s.to, 1)) {
        const at = part.from === s.from ? s.from + Math.min(TCR_DURING_OFFSET_MS, Math.floor(lengthOf(s) / 2)) : part.from;
        tl.note(leg, at, 'dtmf', vmParty(tcr).ref, tcr.number);
        marked = true;
      }
    }
  }
  return marked;
}

// ---------------------------------------------------------------------------
// Captures
// ---------------------------------------------------------------------------

interface RunState {
  readonly seed: number;
  nextLeg: number;
  /** Per phone: the last capture counter used (phones number their files). */
  readonly phoneCounters: Map<string, number>;
}

/** A phone's identity in v11 capture names: an innovaphone-style MAC from the user's name. */
export function phoneId(user: PbxUser): string {
  return `009033${(fnv1a(user.name) & 0xffffff).toString(16).padStart(6, '0')}`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix32(a: number, b: number): number {
  let h = (a ^ Math.imul(b >>> 0, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/**
 * The call's conference id: 32 lowercase hex digits, deterministic from the
 * scenario seed and the call's index. The third word is a bijection of the
 * index, so ids never repeat within a run.
 */
export function confIdFor(seed: number, index: number): string {
  const random = mulberry32(mix32(seed >>> 0, index));
  const word = (): number => Math.floor(random() * 0x100000000);
  const unique = (Math.imul(index, 0x9e3779b1) + mix32(seed >>> 0, 0xc0f1d)) >>> 0;
  return hex8(word()) + hex8(word()) + hex8(unique) + hex8(word());
}

/**
 * Which capture files the call produces.
 *
 * Gateway side (v10 names, `<confId>.pcap`): the trunk gateway records the
 * whole outside call — every stretch with the outside party, from the first
 * answer to the end, holds as gaps — when the trunk records and a user with
 * recording on talks to the outside party on the gateway side.
 *
 * Phone side (v11 names, `<confId>-<phone id>-<counter>.pcap`): a recording
 * phone writes a new file for every call it has open from the PBX's point of
 * view — after a hold, a consultation or the TAN's re-ring, a new file — so
 * one PlannedCall can leave several files per phone. The counter is the
 * phone's own, increasing through the run.
 *
 * Either way the name starts with the confId: the recorder correlates a file
 * with its call (SOAP, CDR) by that prefix, in both formats.
 */
function planCaptures(tl: Timeline, r: ResolvedCall, confId: string, index: number, lookup: DirectoryLookup, run: RunState, presses: readonly number[]): CaptureSpec[] {
  const captures: CaptureSpec[] = [];
  if (r.call.captureLost) return captures;
  const sideOf = (user: PbxUser): CaptureSide => r.call.captureSide ?? user.captureSide ?? 'gateway';
  const common = {
    codec: r.codec,
    packetMs: r.packetMs,
    ...(r.call.impairments ? { impairments: r.call.impairments } : {}),
  };
  const seedOf = (n: number): number => mix32(mix32(run.seed >>> 0, index), n);
  const ordered = [...tl.stretches].sort((x, y) => x.from - y.from);

  if (r.external) {
    const outside = ordered.filter((s) => s.a.ref.external || s.b.ref.external);
    const trunk = lookup.trunkFor(r.external.ref.number);
    const recordedUser = outside.some((s) => {
      const inside = s.a.ref.external ? s.b : s.a;
      return inside.user !== undefined && inside.user.recording && sideOf(inside.user) === 'gateway';
    });
    if (outside.length > 0 && trunk?.recording && recordedUser) {
      const segments: MediaSegment[] = outside.map((s) => {
        const [inside, far] = s.a.ref.external ? [s.b, s.a] : [s.a, s.b];
        return { from: s.from, to: s.to, internal: inside.ref, external: far.ref };
      });
      captures.push({
        fileName: `${confId}.pcap`,
        side: 'gateway',
        ...common,
        start: segments[0]!.from,
        end: segments[segments.length - 1]!.to,
        segments,
        seed: seedOf(captures.length),
      });
    }
  }

  const phoneUsers: PbxUser[] = [];
  for (const s of ordered) {
    for (const leg of s.legs.values()) {
      if (!phoneUsers.includes(leg.user) && leg.user.recording && sideOf(leg.user) === 'phone') phoneUsers.push(leg.user);
    }
  }
  for (const user of phoneUsers) {
    const id = phoneId(user);
    const spans = recordingSpans(user, presses);
    for (const s of ordered.filter((x) => x.legs.has(user.name))) {
      // The file holds what the phone recorded of this call: from recording on to off, the parts switched off left out.
      const recorded = clip(spans, s.from, s.to, MIN_PHONE_RECORDING_MS);
      if (recorded.length === 0) continue;
      const counter = (run.phoneCounters.get(id) ?? 0) + 1;
      run.phoneCounters.set(id, counter);
      const [own, far] = s.a.user === user ? [s.a, s.b] : [s.b, s.a];
      const unrecorded = recorded.slice(1).map((part, i) => ({ from: recorded[i]!.to, to: part.from }));
      captures.push({
        fileName: `${confId}-${id}-${counter}.pcap`,
        side: 'phone',
        ...common,
        start: recorded[0]!.from,
        end: recorded[recorded.length - 1]!.to,
        segments: [{ from: s.from, to: s.to, internal: own.ref, external: far.ref }],
        ...(unrecorded.length > 0 ? { unrecorded } : {}),
        seed: seedOf(captures.length),
      });
    }
  }
  return captures;
}

// ---------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------

function planOne(lookup: DirectoryLookup, call: ScenarioCall, index: number, startTime: number, run: RunState): PlannedCall {
  const r = resolveCall(lookup, call);
  const reference = referenceRule(r);
  const tl = new Timeline(() => run.nextLeg++);
  const worked = buildTimeline(tl, r, lookup);
  if (r.call.tcr === 'during') addTcrDuring(tl, r, reference.agent);
  if (r.call.tan !== undefined) addTan(tl, r, reference.agent);
  const presses = recordKeyPresses(tl, r, worked);
  const markedByPhone = addPhoneTcrMarks(tl, lookup, presses);
  // The call ends here; a marking call after it is a call of its own (its events come later, in their conference).
  const endAt = worked.endAt;
  const markLeg = r.call.tcr === 'after' ? addTcrAfter(tl, r, reference.agent, endAt).leg : undefined;
  const confId = confIdFor(run.seed, index);
  // The marking call is a call of its own: its own conference id (the PBX gives every call one).
  const markConf = markLeg !== undefined ? confIdFor(run.seed, MARK_CALL_INDEX_BASE + index) : undefined;
  const captures = planCaptures(tl, r, confId, index, lookup, run, presses);
  const decided: RuleOutcome = r.kind === 'unanswered' ? reference : captures.length === 0 ? { agent: null, rule: 'not-recorded' } : reference;
  const direction = r.from.ref.external ? 'inbound' : r.to.ref.external ? 'outbound' : 'internal';
  return {
    index,
    confId,
    scenario: call,
    setupTime: startTime + Math.round(call.at * 1000),
    ...(worked.answerAt !== undefined ? { answerAt: worked.answerAt } : {}),
    endAt,
    direction,
    caller: r.from.ref,
    called: r.to.ref,
    events: markLeg !== undefined ? tl.sortedEvents().map((event) => (event.leg === markLeg ? { ...event, conf: markConf! } : event)) : tl.sortedEvents(),
    captures,
    ...(call.tan !== undefined ? { tan: call.tan } : {}),
    ...(call.tcr !== undefined ? { tcr: call.tcr } : {}),
    ...(markedByPhone ? { markedByPhone } : {}),
    expected: { agent: decided.agent, external: externalNumber(r, decided.agent), rule: decided.rule },
  };
}

function asInputError(source: string, index: number, problem: CallProblem): PbxInputError {
  return new PbxInputError(source, [{ path: `calls[${index}].${problem.field}`, reason: problem.reason }]);
}

/**
 * Work out every call of the scenario: events of each user leg, captures and
 * the truth the recorder must reach. Pure: the same directory, scenario and
 * start time always give the same plans. Calls keep the scenario's order
 * (index 1..n); leg handles are unique through the run. Throws PbxInputError
 * (source "scenario", path `calls[i].field`) for a call that cannot happen.
 */
export function planCalls(directory: PbxDirectory, scenario: Scenario, startTime: number): PlannedCall[] {
  const lookup = lookupFor(directory);
  const run: RunState = { seed: scenario.seed >>> 0, nextLeg: 1, phoneCounters: new Map() };
  return scenario.calls.map((call, i) => {
    try {
      return planOne(lookup, call, i + 1, startTime, run);
    } catch (error) {
      if (error instanceof CallProblem) throw asInputError('scenario', i, error);
      throw error;
    }
  });
}

/**
 * The agent a call's recording is filed under (null: deleted, or nothing
 * recorded), its outside number and the rule that decides — the `expected`
 * of the call's plan. Throws PbxInputError for a call that cannot happen.
 */
export function ruleFor(directory: PbxDirectory, call: ScenarioCall): { agent: string | null; external: string | null; rule: string } {
  try {
    const planned = planOne(lookupFor(directory), call, 1, 0, { seed: 0, nextLeg: 1, phoneCounters: new Map() });
    return { ...planned.expected };
  } catch (error) {
    if (error instanceof CallProblem) throw new PbxInputError('call', [{ path: error.field, reason: error.reason }]);
    throw error;
  }
}

/** Problems of each call against the directory (empty: every call can be planned). Paths are `calls[i].field`. */
export function checkScenarioCalls(directory: PbxDirectory, calls: readonly ScenarioCall[]): InputIssue[] {
  const lookup = lookupFor(directory);
  const run: RunState = { seed: 0, nextLeg: 1, phoneCounters: new Map() };
  const issues: InputIssue[] = [];
  calls.forEach((call, i) => {
    try {
      planOne(lookup, call, i + 1, 0, run);
    } catch (error) {
      if (!(error instanceof CallProblem)) throw error;
      issues.push({ path: `calls[${i}].${error.field}`, reason: error.reason });
    }
  });
  return issues;
}
