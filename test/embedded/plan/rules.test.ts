import { describe, expect, it } from 'vitest';
import type { ScenarioCall } from '../../../src/embedded/model.js';
import { AGENT_RULES, DERIVED_RULES, defaultDirectory, planCalls, ruleFor } from '../../../src/embedded/plan/index.js';

// Default directory: Agents 20..27 (27 records on its phone), executive Agent 28,
// Users 30..33, 34 in the recording group without reporting licence.
const directory = defaultDirectory();
const E = '0070317300912';

interface RuleCase {
  readonly title: string;
  readonly call: Omit<ScenarioCall, 'at'>;
  readonly rule: string;
  readonly agent: string | null;
}

// One case per line of the reference's "Recording rules" list.
const referenceCases: readonly RuleCase[] = [
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

const derivedCases: readonly RuleCase[] = [
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

function check(c: RuleCase): void {
  const call: ScenarioCall = { at: 0, ...c.call };
  const expected = ruleFor(directory, call);
  expect(expected.rule).toBe(c.rule);
  expect(expected.agent).toBe(c.agent);
  const [planned] = planCalls(directory, { seed: 1, calls: [call] }, 0);
  expect(planned!.expected).toEqual(expected);
  if (c.rule !== 'unanswered' && c.rule !== 'not-recorded') expect(planned!.captures.length).toBeGreaterThan(0);
  if (c.rule !== 'internal-call' && c.rule !== 'not-recorded') expect(expected.external).toBe(E);
}

describe('the reference recording rules', () => {
  for (const c of referenceCases) it(`${c.rule}: ${c.title}`, () => check(c));

  it('names every rule of AGENT_RULES once, and tests each', () => {
    const names = AGENT_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(referenceCases.map((c) => c.rule))).toEqual(new Set(names));
    for (const r of AGENT_RULES) expect(r.text.length).toBeGreaterThan(20);
  });
});

describe('derived rules (combinations the reference does not list)', () => {
  for (const c of derivedCases) it(`${c.rule}: ${c.title}`, () => check(c));

  it('covers every DERIVED_RULES entry, with names distinct from the reference rules', () => {
    const names = DERIVED_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(AGENT_RULES.some((r) => r.name === name)).toBe(false);
    expect(new Set(derivedCases.map((c) => c.rule))).toEqual(new Set(names));
  });
});

describe('who counts as an Agent', () => {
  it('a recording-group member without reporting licence is a User', () => {
    expect(ruleFor(directory, { at: 0, kind: 'inbound', from: E, to: '34' })).toEqual({ agent: null, external: E, rule: 'external-to-user' });
  });

  it('the executive Agent is filed like any Agent', () => {
    expect(ruleFor(directory, { at: 0, kind: 'outbound', from: '28', to: E })).toEqual({ agent: '28', external: E, rule: 'agent-to-external' });
  });

  it('a call on the private trunk (no recording) is not recorded', () => {
    const call: ScenarioCall = { at: 0, kind: 'outbound', from: '20', to: '90703173009' };
    expect(ruleFor(directory, call)).toEqual({ agent: null, external: '90703173009', rule: 'not-recorded' });
    expect(planCalls(directory, { seed: 1, calls: [call] }, 0)[0]!.captures).toEqual([]);
  });

  it('a user with recording off leaves no capture', () => {
    const quiet = { ...directory, users: directory.users.map((u) => (u.number === '20' ? { ...u, recording: false } : u)) };
    const [planned] = planCalls(quiet, { seed: 1, calls: [{ at: 0, kind: 'inbound', from: E, to: '20' }] }, 0);
    expect(planned!.captures).toEqual([]);
    expect(planned!.expected.rule).toBe('not-recorded');
  });
});
