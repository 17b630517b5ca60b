/**
 * The rule scenarios (one per rule of AGENT_RULES and DERIVED_RULES), shared
 * by the planner's tests and the recorder's rules engine tests; and the recorder's view of a planned call:
 * its CDRs as they arrive over HTTP (serialised and parsed back).
 */
import type { PbxDirectory, PlannedCall, ScenarioCall } from '../../../src/embedded/model.js';
import { defaultDirectory, planCalls } from '../../../src/embedded/plan/index.js';
import { cdrXmlFor, cdrsFor, reportXml } from '../../../src/embedded/reporting/index.js';
import { parseCallRecords, parseCdrXml } from '../../../src/recorder/pbx/index.js';
import type { Cdr } from '../../../src/recorder/pbx/index.js';

// Default directory: Agents 20..27 (27 records on its phone), executive Agent 28,
// Users 30..33, 34 in the recording group without reporting licence.
export const directory = defaultDirectory();
export const E = '0070317300912';
export const START = Date.UTC(2024, 4, 12, 14, 0, 0);

export interface RuleCase {
  readonly title: string;
  readonly call: Omit<ScenarioCall, 'at'>;
  readonly rule: string;
  readonly agent: string | null;
}

// One case per line of the reference's "Recording rules" list.
export const referenceCases: readonly RuleCase[] = [
  { title: 'External call to Agent = Agent', call: { kind: 'inbound', from: E, to: '20' }, rule: 'external-to-agent', agent: '20' },
  { title: 'External call to User = Deleted', call: { kind: 'inbound', from: E, to: '30' }, rule: 'external-to-user', agent: null },
  { title: 'External call to Agent, User picks up = Agent', call: { kind: 'pickup', from: E, to: '20', via: '30' }, rule: 'pickup-user-of-agent-call', agent: '20' },
  { title: 'External call to User, Agent picks up = Agent', call: { kind: 'pickup', from: E, to: '30', via: '21' }, rule: 'pickup-agent-of-user-call', agent: '21' },
  { title: 'External call to broadcast group, Agent answers = Agent', call: { kind: 'group', from: E, to: '40', via: '21' }, rule: 'broadcast-agent-answers', agent: '21' },
  { title: 'External call to broadcast group, User answers = Deleted', call: { kind: 'group', from: E, to: '40', via: '30' }, rule: 'broadcast-user-answers', agent: null },
  {
    title: 'External call to User, User holds and transfers to Agent = Agent',
    call: { kind: 'blind-transfer', from: E, to: '30', via: '21' },
    rule: 'external-to-user-transfer-to-agent',
    agent: '21',
  },
  {
    title: 'External call to Agent A, A holds and transfers to Agent B = Agent A',
    call: { kind: 'attended-transfer', from: E, to: '20', via: '21' },
    rule: 'transfer-agentA-to-agentB',
    agent: '20',
  },
  { title: 'External call to Agent A, Agent B picks up = Agent A', call: { kind: 'pickup', from: E, to: '20', via: '21' }, rule: 'pickup-agentB-of-agentA-call', agent: '20' },
  {
    title: 'External call to waiting queue, XML with DTMF input, back to the queue, Agent answers = Agent',
    call: { kind: 'queue', from: E, to: '41', via: '25' },
    rule: 'queue-ivr-agent-answers',
    agent: '25',
  },
  { title: 'Agent calls External = Agent', call: { kind: 'outbound', from: '20', to: E }, rule: 'agent-to-external', agent: '20' },
  {
    title: 'Agent calls External, holds and transfers to User = Agent',
    call: { kind: 'blind-transfer', from: '20', to: E, via: '30' },
    rule: 'agent-to-external-transfer-to-user',
    agent: '20',
  },
  {
    title: 'Agent calls User, User holds and transfers to External = Deleted',
    call: { kind: 'attended-transfer', from: '20', to: '30', via: E },
    rule: 'agent-to-user-transfer-to-external',
    agent: null,
  },
  {
    title: 'Agent calls External, holds and talks to User, no transfer = Agent',
    call: { kind: 'consult', from: '20', to: E, via: '30' },
    rule: 'agent-to-external-consult-user',
    agent: '20',
  },
  {
    title: 'Agent A calls External, holds and transfers to Agent B = Agent A',
    call: { kind: 'blind-transfer', from: '20', to: E, via: '21' },
    rule: 'agentA-to-external-transfer-to-agentB',
    agent: '20',
  },
  {
    title: 'Agent B calls External, holds and transfers to Agent A = Agent B',
    call: { kind: 'attended-transfer', from: '21', to: E, via: '20' },
    rule: 'agentA-to-external-transfer-to-agentB',
    agent: '21',
  },
  {
    title: 'User calls Agent, Agent holds and transfers to External = Agent',
    call: { kind: 'blind-transfer', from: '30', to: '20', via: E },
    rule: 'user-to-agent-transfer-to-external',
    agent: '20',
  },
  {
    title: 'User calls External, holds and transfers to Agent = Agent',
    call: { kind: 'attended-transfer', from: '30', to: E, via: '20' },
    rule: 'user-to-external-transfer-to-agent',
    agent: '20',
  },
  { title: 'User calls External = Deleted', call: { kind: 'outbound', from: '30', to: E }, rule: 'user-to-external', agent: null },
  {
    title: 'User calls External, holds and talks to Agent, no transfer = Deleted',
    call: { kind: 'consult', from: '30', to: E, via: '20' },
    rule: 'user-to-external-consult-agent',
    agent: null,
  },
  {
    title: 'User calls Agent, Agent holds and talks to External = Agent',
    call: { kind: 'consult', from: '30', to: '20', via: E },
    rule: 'user-to-agent-consult-external',
    agent: '20',
  },
  { title: 'External call to Agent with CFU to User = Deleted', call: { kind: 'cfu', from: E, to: '20', via: '30' }, rule: 'cfu-agent-to-user', agent: null },
  // 23 has CFB to 30 in the directory.
  { title: 'External call to busy Agent with CFB to User = Deleted', call: { kind: 'cfb', from: E, to: '23' }, rule: 'cfb-agent-to-user', agent: null },
  // 24 has CFNR to 31 in the directory.
  { title: 'External call to Agent with CFNR to User, User answers = Agent', call: { kind: 'cfnr', from: E, to: '24' }, rule: 'cfnr-agent-to-user', agent: '24' },
  // 22 has CFU to 23 in the directory.
  { title: 'External call to Agent A with CFU to Agent B = Agent B', call: { kind: 'cfu', from: E, to: '22' }, rule: 'cfu-agentA-to-agentB', agent: '23' },
  { title: 'External call to busy Agent A with CFB to Agent B = Agent B', call: { kind: 'cfb', from: E, to: '21', via: '22' }, rule: 'cfb-agentA-to-agentB', agent: '22' },
  // 20 has CFNR to 21 in the directory.
  { title: 'External call to Agent A with CFNR to Agent B, B answers = Agent A', call: { kind: 'cfnr', from: E, to: '20' }, rule: 'cfnr-agentA-to-agentB', agent: '20' },
];

export const derivedCases: readonly RuleCase[] = [
  { title: 'User picks up a User call', call: { kind: 'pickup', from: E, to: '30', via: '31' }, rule: 'pickup-user-of-user-call', agent: null },
  { title: 'queue answered by a User', call: { kind: 'queue', from: E, to: '41', via: '31' }, rule: 'queue-ivr-user-answers', agent: null },
  { title: 'Agent transfers an outside caller to a User', call: { kind: 'blind-transfer', from: E, to: '20', via: '30' }, rule: 'external-to-agent-transfer-to-user', agent: '20' },
  { title: 'User transfers an outside caller to a User', call: { kind: 'blind-transfer', from: E, to: '30', via: '31' }, rule: 'external-to-user-transfer-to-user', agent: null },
  { title: 'User calls outside and transfers to a User', call: { kind: 'blind-transfer', from: '30', to: E, via: '31' }, rule: 'user-to-external-transfer-to-user', agent: null },
  { title: 'calling Agent transfers a User to outside', call: { kind: 'blind-transfer', from: '20', to: '30', via: E, by: '20' }, rule: 'transfer-to-external-by-agent', agent: '20' },
  { title: 'calling User transfers an Agent to outside', call: { kind: 'blind-transfer', from: '30', to: '20', via: E, by: '30' }, rule: 'transfer-to-external-by-user', agent: null },
  { title: 'Agent calls outside and consults an Agent', call: { kind: 'consult', from: '20', to: E, via: '21' }, rule: 'agent-to-external-consult-agent', agent: '20' },
  { title: 'User calls outside and consults a User', call: { kind: 'consult', from: '30', to: E, via: '31' }, rule: 'user-to-external-consult-user', agent: null },
  { title: 'outside caller, Agent consults', call: { kind: 'consult', from: E, to: '20', via: '30' }, rule: 'external-to-agent-consult', agent: '20' },
  { title: 'outside caller, User consults', call: { kind: 'consult', from: E, to: '30', via: '20' }, rule: 'external-to-user-consult', agent: null },
  { title: 'calling Agent consults outside', call: { kind: 'consult', from: '20', to: '30', via: E, by: '20' }, rule: 'consult-external-by-agent', agent: '20' },
  { title: 'User consults outside', call: { kind: 'consult', from: '20', to: '30', via: E }, rule: 'consult-external-by-user', agent: null },
  { title: 'CFU User to Agent', call: { kind: 'cfu', from: E, to: '30', via: '20' }, rule: 'cfu-user-to-agent', agent: '20' },
  { title: 'CFU User to User', call: { kind: 'cfu', from: E, to: '30', via: '31' }, rule: 'cfu-user-to-user', agent: null },
  { title: 'CFB User to Agent', call: { kind: 'cfb', from: E, to: '30', via: '20' }, rule: 'cfb-user-to-agent', agent: '20' },
  { title: 'CFB User to User', call: { kind: 'cfb', from: E, to: '30', via: '31' }, rule: 'cfb-user-to-user', agent: null },
  // 30 has CFNR to 25 in the directory.
  { title: 'CFNR User to Agent', call: { kind: 'cfnr', from: E, to: '30' }, rule: 'cfnr-user-to-agent', agent: '25' },
  { title: 'CFNR User to User', call: { kind: 'cfnr', from: E, to: '30', via: '31' }, rule: 'cfnr-user-to-user', agent: null },
  { title: 'internal call recorded by the phones', call: { kind: 'internal', from: '30', to: '21', captureSide: 'phone' }, rule: 'internal-call', agent: '21' },
  { title: 'nobody answers', call: { kind: 'unanswered', from: E, to: '20' }, rule: 'unanswered', agent: null },
  { title: 'internal call on the gateway: nothing recorded', call: { kind: 'internal', from: '20', to: '21' }, rule: 'not-recorded', agent: null },
];

/** The CDRs the recorder gets for `call`: cdrsFor's output through the XML and the parser, as over HTTP. */
/** One planned call of `call` (seed fixed: the same call on every run). */
export function planOne(call: Omit<ScenarioCall, 'at'>, seed = 1): PlannedCall {
  return planCalls(directory, { seed, calls: [{ at: 0, ...call }] }, START)[0]!;
}

/** The call as Reporting's remote interface shows it (Report XML records), read back as legs. */
export function reportedLegs(call: PlannedCall, dir: PbxDirectory = directory): Cdr[] {
  return parseCallRecords(reportXml(cdrsFor(call, dir).filter((cdr) => cdr.conf === call.confId)), `report of call ${call.index}`).legs;
}

export function recorderCdrs(call: PlannedCall, dir: PbxDirectory = directory, recordingGroupName?: string): Cdr[] {
  // The call's own conference, as the reporting answers a confid query (a marking call after it has its own).
  return cdrXmlFor(call, dir, recordingGroupName !== undefined ? { recordingGroupName } : {})
    .flatMap((xml, i) => parseCdrXml(xml, `call${call.index}#${i}`))
    .filter((cdr) => cdr.conf === call.confId);
}

/** The external party's side of the call: it called in, was called out, or was brought in by an internal call's user; none for internal calls. */
export function externalPattern(call: PlannedCall): 'in' | 'out' | 'added' | 'none' {
  const s = call.scenario;
  const external = (n: string | undefined): boolean => n !== undefined && !directory.users.some((u) => u.number === n) && !directory.groups.some((g) => g.number === n);
  if (external(s.from)) return 'in';
  if (external(s.to)) return 'out';
  if (external(s.via)) return 'added';
  return 'none';
}

/** Every user the call involves has a reporting licence (so the CDRs tell the whole story). */
export function fullyReported(call: PlannedCall): boolean {
  return [call.scenario.from, call.scenario.to, call.scenario.via, call.scenario.by].every((n) => directory.users.find((u) => u.number === n)?.reporting !== false);
}

/**
 * Seconds the external party's call rang before the answer, from the
 * scenario: the ring time; after a CFNR timeout plus that; for an outside
 * number added by an internal call's user, the second call's ring (2 s
 * consultation, 0 unknown for a blind transfer). Internal calls: the ring.
 */
export function expectedSecondsToAnswer(call: PlannedCall): number {
  const s = call.scenario;
  const ring = s.ringSeconds ?? 3;
  const pattern = externalPattern(call);
  if (pattern === 'added') return s.kind === 'blind-transfer' ? 0 : 2;
  if (s.kind === 'cfnr') {
    const forwarding = directory.users.find((u) => u.number === s.to)!;
    return (forwarding.forward?.cfnrSeconds ?? 15) + ring;
  }
  return ring;
}

/** The file-name direction the scenario implies: i when the outside party called in (internal calls: the phone user's own leg). */
export function expectedDirection(call: PlannedCall, phoneUser?: string): 'i' | 'o' {
  const pattern = externalPattern(call);
  if (pattern === 'in') return 'i';
  if (pattern !== 'none') return 'o';
  return phoneUser === call.scenario.from ? 'o' : 'i';
}
