import { describe, expect, it } from 'vitest';
import type { ScenarioCall } from '../../../src/embedded/model.js';
import { AGENT_RULES, DERIVED_RULES, planCalls, ruleFor } from '../../../src/embedded/plan/index.js';
// The rule scenarios are shared with the recorder's rules engine tests.
import { E, derivedCases, directory, referenceCases } from '../../recorder/rules/cases.js';
import type { RuleCase } from '../../recorder/rules/cases.js';


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
