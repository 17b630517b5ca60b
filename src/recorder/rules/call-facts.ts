/**
 * What the CDRs of one conference say about the call, as far as the
 * recording rules need it: who is an Agent, who the external party is, which
 * users took the external call in which order, the direction and the time
 * to answer. Times are absolute Unix seconds (`utc + time`), the CDRs'
 * resolution.
 */
import type { Cdr, CdrEvent, CdrParty } from '../pbx/index.js';

export const DEFAULT_RECORDING_GROUP = 'Recording';

/**
 * An Agent's CDR: the user is an active member of the recording group. Only
 * users with a reporting licence write CDRs, so a CDR in the group is an
 * Agent in the reference's sense. Group names compare case-insensitively
 * (the PBX's object names do).
 */
export function isAgentCdr(cdr: Cdr, recordingGroup: string = DEFAULT_RECORDING_GROUP): boolean {
  const wanted = recordingGroup.toLowerCase();
  return cdr.groups.some((group) => group.active && group.name.toLowerCase() === wanted);
}

/** Absolute Unix seconds of an event of `cdr`. */
export function eventTime(cdr: Cdr, event: CdrEvent): number {
  return cdr.utc + event.time;
}

function setupOf(cdr: Cdr): CdrEvent | undefined {
  return cdr.events.find((e) => e.msg === 'setup-from' || e.msg === 'setup-to');
}

/** An event connecting the leg to its party (`conn-from` / `conn-to`). */
export function isConnect(event: CdrEvent): boolean {
  return event.msg === 'conn-from' || event.msg === 'conn-to';
}

const isExternal = (party: CdrParty | undefined): party is CdrParty & { e164: string } => party !== undefined && party.external && !!party.e164;

/** How a user came to hold the external call (for the decision's reason). */
export type ClaimHow = 'dialled' | 'answered' | 'rang' | 'picked-up' | 'transferred-to' | 'transferred-out';

/** A user holding the external call at some moment: the rules file a call under the first Agent among these. */
export interface Claim {
  /** Absolute Unix seconds. */
  readonly at: number;
  /** Tie-break within a second: the user the call came from (0) before the one it went to (1). */
  readonly rank: 0 | 1;
  /** Position of the CDR in the input (last tie-break, keeps the order stable). */
  readonly order: number;
  readonly cdr: Cdr;
  readonly how: ClaimHow;
}

/**
 * The users who held the external call, in the order they held it. This is
 * the reference's rule list in one sentence: the recording is filed under
 * the first Agent who
 *  - dialled the external party (also: blind-transferred an internal call
 *    out to it — the transferring user placed the outside call), or
 *  - was offered the external call personally and answered it, or rang and
 *    lost it by pickup or call forwarding on no response (the call was
 *    theirs: "External call to Agent A, Agent B picks up = Agent A"), or
 *  - took it over by pickup, forwarding or transfer.
 * Not holders: the forwarding user of CFU/CFB (never rang), group members
 * who only rang, consulted parties (they talk to the holder, not to the
 * external party), and the internal party an internal call's user transfers
 * to the external number ("Agent calls User, User transfers to External =
 * Deleted"). Users without a reporting licence have no CDR and never count,
 * which is right: they are no Agents.
 */
export function externalClaims(cdrs: readonly Cdr[]): Claim[] {
  const claims: Claim[] = [];
  cdrs.forEach((cdr, order) => {
    const add = (event: CdrEvent, rank: 0 | 1, how: ClaimHow): void => {
      claims.push({ at: eventTime(cdr, event), rank, order, cdr, how });
    };
    const setup = setupOf(cdr);
    if (setup && isExternal(setup.party)) {
      if (setup.msg === 'setup-from') add(setup, 0, 'dialled');
      else {
        const pickedUp = cdr.events.find((e) => e.msg === 'pickup-from');
        const connect = cdr.events.find(isConnect);
        const forward = cdr.events.find((e) => e.msg === 'cf-from');
        if (pickedUp) add(connect ?? pickedUp, 1, 'picked-up');
        else if (cdr.events.some((e) => e.msg === 'pickup-to')) add(setup, 0, 'rang');
        else if (forward) {
          // CFNR: it rang here first; CFU/CFB: it never did.
          if (forward.cf === 'cfnr') add(setup, 0, 'rang');
        } else if (connect) add(connect, 0, 'answered');
      }
    }
    for (const event of cdr.events) {
      // An internal call's user sends the other party out to the external number: it placed that outside call.
      if (event.msg === 'transfer-from' && isExternal(event.to)) add(event, 0, 'transferred-out');
      // The external party was transferred to this user (after a consultation call with it).
      if (event.msg === 'transfer-to' && isExternal(event.party) && event.to?.e164 === cdr.e164 && cdr.e164 !== '') add(event, 1, 'transferred-to');
    }
  });
  return claims.sort((a, b) => a.at - b.at || a.rank - b.rank || a.order - b.order);
}

interface NumberSeen {
  readonly number: string;
  readonly at: number;
  readonly external: boolean;
}

/**
 * Every party number the CDRs name (event parties and targets), with when;
 * keyed digits' VM objects left out. `talkedTo`: only parties a leg was with,
 * so a leg's events from its transfer-from on (where the user hands the call
 * on and leaves) are left out.
 */
function numbersSeen(cdrs: readonly Cdr[], talkedTo = false): NumberSeen[] {
  const seen: NumberSeen[] = [];
  for (const cdr of cdrs) {
    for (const event of cdr.events) {
      if (talkedTo && event.msg === 'transfer-from') break;
      // dtmf-from names the VM object the digits went to (TAN, TCR): a service, not a party of the call.
      if (event.msg === 'dtmf-from') continue;
      for (const party of [event.party, event.to]) {
        if (party?.e164) seen.push({ number: party.e164, at: eventTime(cdr, event), external: party.external });
      }
    }
  }
  return seen.sort((a, b) => a.at - b.at);
}

/** The longest number; the earliest among equally long ones. */
function longest(list: readonly NumberSeen[]): string | null {
  let best: NumberSeen | undefined;
  for (const item of list) if (!best || item.number.length > best.number.length) best = item;
  return best?.number ?? null;
}

/** The external party: the longest number marked external (`type="ext"`); null when the CDRs name none. */
export function externalNumber(cdrs: readonly Cdr[]): string | null {
  return longest(numbersSeen(cdrs).filter((n) => n.external));
}

/**
 * "The longest number involved" (the reference) besides `own` numbers: the
 * far party when no external party shows in the CDRs (internal calls, or a
 * call whose outside leg belongs to an unlicensed user).
 */
export function longestOtherNumber(cdrs: readonly Cdr[], own: ReadonlySet<string>): string | null {
  return longest(numbersSeen(cdrs).filter((n) => !own.has(n.number)));
}

/** The longest number of the parties `cdrs`' legs were with (not the ones they handed the call on to). */
export function longestPartnerNumber(cdrs: readonly Cdr[], own: ReadonlySet<string>): string | null {
  return longest(numbersSeen(cdrs, true).filter((n) => !own.has(n.number)));
}

/** i: the external party called in; o: a user dialled it (or transferred a call out to it). */
export function externalDirection(cdrs: readonly Cdr[]): 'i' | 'o' {
  for (const cdr of cdrs) {
    const setup = setupOf(cdr);
    if (setup?.msg === 'setup-from' && isExternal(setup.party)) return 'o';
    if (cdr.events.some((e) => (e.msg === 'transfer-from' || e.msg === 'transfer-to') && isExternal(e.to))) return 'o';
  }
  return 'i';
}

/** A leg's own direction: o when its user placed it. */
export function legDirection(cdr: Cdr): 'i' | 'o' {
  const setup = setupOf(cdr);
  if (setup) return setup.msg === 'setup-from' ? 'o' : 'i';
  return cdr.dir === 'from' ? 'o' : 'i';
}

/**
 * Seconds the external party's call rang before anyone answered it: from the
 * first event naming the external party to the first connection with it.
 * 0 when no CDR shows that connection (the external party was reached by a
 * blind transfer of an internal call: its answer is in no user's leg).
 */
export function externalSecondsToAnswer(cdrs: readonly Cdr[]): number {
  let first: number | undefined;
  for (const cdr of cdrs) {
    for (const event of cdr.events) {
      if (isExternal(event.party) || isExternal(event.to)) {
        const at = eventTime(cdr, event);
        if (first === undefined || at < first) first = at;
      }
    }
  }
  if (first === undefined) return 0;
  let answer: number | undefined;
  for (const cdr of cdrs) {
    for (const event of cdr.events) {
      if (!isConnect(event) || !isExternal(event.party)) continue;
      const at = eventTime(cdr, event);
      if (at >= first && (answer === undefined || at < answer)) answer = at;
    }
  }
  return answer === undefined ? 0 : answer - first;
}

/** Seconds a leg rang before it was answered; 0 if it never was. */
export function legSecondsToAnswer(cdr: Cdr): number {
  const setup = setupOf(cdr) ?? cdr.events[0];
  const connect = cdr.events.find(isConnect);
  return setup && connect ? Math.max(0, connect.time - setup.time) : 0;
}
