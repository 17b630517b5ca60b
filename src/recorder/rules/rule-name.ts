/**
 * The name of the reference's rule a gateway capture falls under, read from
 * the CDRs — the planner's names (src/embedded/plan AGENT_RULES and
 * DERIVED_RULES), so logs and the XML sidecar speak the same language as the
 * simulator's truth. The name only describes: who the call is filed under is
 * decided by `externalClaims` (call-facts.ts), which needs no call pattern.
 *
 * Limits (the CDRs do not tell): a waiting-queue call reaches the member as a
 * direct call and is named external-to-agent / external-to-user; a party
 * without reporting licence writes no CDR, so a call whose hand-over was done
 * by such a user is named after what the licensed users' CDRs show.
 */
import type { Cdr, CdrEvent } from '../pbx/index.js';
import { eventTime } from './call-facts.js';

/** Names this engine uses beyond the planner's. */
export const ENGINE_RULES: readonly { readonly name: string; readonly text: string }[] = [
  { name: 'phone-of-agent', text: "A phone's own capture, its user is an Agent: filed under that Agent (phone recording needs no rules)." },
  { name: 'phone-of-user', text: "A phone's own capture, its user is no Agent (or has no reporting licence): deleted." },
  { name: 'no-external-party', text: 'A gateway capture whose CDRs name no external party nor any licensed user holding it: deleted.' },
];

const setupOf = (cdr: Cdr): CdrEvent | undefined => cdr.events.find((e) => e.msg === 'setup-from' || e.msg === 'setup-to');
const connected = (cdr: Cdr): boolean => cdr.events.some((e) => e.msg === 'conn-from' || e.msg === 'conn-to');
const lastTime = (cdr: Cdr): number => Math.max(...cdr.events.map((e) => eventTime(cdr, e)));

/** The two ends of the internal call `cdr` belongs to: who called whom. */
function endsOf(cdr: Cdr): { from: string | undefined; to: string | undefined } {
  const setup = setupOf(cdr);
  const other = setup?.party?.e164;
  return setup?.msg === 'setup-from' ? { from: cdr.e164, to: other } : { from: other, to: cdr.e164 };
}

function pairName(a: boolean, b: boolean, names: readonly [both: string, first: string, second: string, neither: string]): string {
  return a && b ? names[0] : a ? names[1] : b ? names[2] : names[3];
}

/**
 * The rule name of a gateway capture's call. `isAgent` tells whether a user
 * number is an Agent (false for numbers without an Agent CDR); `direction`
 * is the external party's (i: called in).
 */
export function gatewayRuleName(cdrs: readonly Cdr[], isAgent: (number: string | undefined) => boolean, direction: 'i' | 'o'): string {
  const A = isAgent;
  const events = cdrs.flatMap((cdr) => cdr.events.map((event) => ({ cdr, event })));
  const find = (msg: string): { cdr: Cdr; event: CdrEvent } | undefined => events.find((x) => x.event.msg === msg);

  // Transfers: the transferring user's CDR names the target; failing that (an unlicensed transferrer), the transferred-to side shows it.
  const transferFrom = find('transfer-from');
  const transferTo = transferFrom ? undefined : find('transfer-to');
  if (transferFrom || transferTo) {
    let by: string | undefined;
    let target = (transferFrom ?? transferTo)!.event.to;
    let ends: { from: string | undefined; to: string | undefined };
    if (transferFrom) {
      by = transferFrom.cdr.e164;
      const first = cdrs.filter((c) => c.e164 === by).sort((x, y) => x.utc - y.utc)[0]!;
      ends = endsOf(first);
    } else {
      const { cdr } = transferTo!;
      ends = endsOf(cdr);
      by = ends.from === cdr.e164 ? ends.to : ends.from;
      if (!target?.external) target = { e164: cdr.e164, external: false };
    }
    if (target?.external) {
      if (by === ends.to && A(ends.from) && !A(ends.to)) return 'agent-to-user-transfer-to-external';
      if (by === ends.to && !A(ends.from) && A(ends.to)) return 'user-to-agent-transfer-to-external';
      return A(by) ? 'transfer-to-external-by-agent' : 'transfer-to-external-by-user';
    }
    const via = target?.e164;
    return direction === 'i'
      ? pairName(A(by), A(via), ['transfer-agentA-to-agentB', 'external-to-agent-transfer-to-user', 'external-to-user-transfer-to-agent', 'external-to-user-transfer-to-user'])
      : pairName(A(by), A(via), [
          'agentA-to-external-transfer-to-agentB',
          'agent-to-external-transfer-to-user',
          'user-to-external-transfer-to-agent',
          'user-to-external-transfer-to-user',
        ]);
  }

  const forward = find('cf-from');
  if (forward?.event.cf) {
    const names = ['agentA-to-agentB', 'agent-to-user', 'user-to-agent', 'user-to-user'] as const;
    return `${forward.event.cf}-${pairName(A(forward.cdr.e164), A(forward.event.to?.e164), names)}`;
  }

  const pickupTo = find('pickup-to');
  const pickupFrom = find('pickup-from');
  if (pickupTo || pickupFrom) {
    const to = pickupTo?.cdr.e164;
    const via = pickupTo?.event.to?.e164 ?? pickupFrom?.cdr.e164;
    return pairName(A(to), A(via), ['pickup-agentB-of-agentA-call', 'pickup-user-of-agent-call', 'pickup-agent-of-user-call', 'pickup-user-of-user-call']);
  }

  // Consultation: a user opens a second call while the first is still up (a later call after the first ended — a TCR marking — is none).
  for (const consultLeg of cdrs) {
    const setup = setupOf(consultLeg);
    if (setup?.msg !== 'setup-from') continue;
    const first = cdrs.find((c) => c !== consultLeg && c.e164 === consultLeg.e164 && c.utc <= consultLeg.utc && lastTime(c) > consultLeg.utc);
    if (!first) continue;
    const by = consultLeg.e164;
    const via = setup.party;
    const ends = endsOf(first);
    if (via?.external) {
      if (by === ends.to && !A(ends.from) && A(ends.to)) return 'user-to-agent-consult-external';
      return A(by) ? 'consult-external-by-agent' : 'consult-external-by-user';
    }
    if (direction === 'i') return A(by) ? 'external-to-agent-consult' : 'external-to-user-consult';
    return pairName(A(by), A(via?.e164), ['agent-to-external-consult-agent', 'agent-to-external-consult-user', 'user-to-external-consult-agent', 'user-to-external-consult-user']);
  }

  const offered = cdrs.filter((c) => {
    const setup = setupOf(c);
    return setup?.msg === 'setup-to' && setup.party?.external;
  });
  if (offered.length > 1 && offered.some((c) => !connected(c))) {
    const answered = offered.find(connected);
    return A(answered?.e164) ? 'broadcast-agent-answers' : 'broadcast-user-answers';
  }

  if (direction === 'o') {
    const dialler = cdrs.find((c) => {
      const setup = setupOf(c);
      return setup?.msg === 'setup-from' && setup.party?.external;
    });
    if (dialler) return A(dialler.e164) ? 'agent-to-external' : 'user-to-external';
  }
  const answered = offered.find(connected);
  if (answered) return A(answered.e164) ? 'external-to-agent' : 'external-to-user';
  return 'no-external-party';
}
