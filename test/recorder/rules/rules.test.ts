import { describe, expect, it } from 'vitest';
import type { CaptureSpec, PlannedCall, ScenarioCall } from '../../../src/embedded/model.js';
import { AGENT_RULES, DERIVED_RULES, isAgent, planCalls, randomScenario } from '../../../src/embedded/plan/index.js';
import { NoCdrError, decideRecording } from '../../../src/recorder/rules/index.js';
import type { RecordingDecision } from '../../../src/recorder/rules/index.js';
import {
  E,
  START,
  derivedCases,
  directory,
  expectedDirection,
  expectedSecondsToAnswer,
  externalPattern,
  fullyReported,
  recorderCdrs,
  reportedLegs,
  referenceCases,
  planOne as planOneCall,
} from './cases.js';
import type { RuleCase } from './cases.js';

const gatewayIds = [directory.gatewaySerial];

const planOne = (call: Omit<ScenarioCall, 'at'>): PlannedCall => planOneCall(call, 1);

/**
 * The rule name the engine can report: a waiting-queue call reaches the
 * member like a direct call (the CDRs show no queue), so it carries the
 * direct call's name.
 */
function nameSeenInCdrs(rule: string): string {
  if (rule === 'queue-ivr-agent-answers') return 'external-to-agent';
  if (rule === 'queue-ivr-user-answers') return 'external-to-user';
  return rule;
}

/** The truth for one capture. Gateway: the call's expected. Phone: its user if an Agent, else deleted; the far party it talked to. */
function truthFor(call: PlannedCall, capture: CaptureSpec): { agent: string | null; external: string | null; phoneUser?: string } {
  if (capture.side === 'gateway') return { agent: call.expected.agent, external: call.expected.external };
  const phoneUser = capture.segments[0]!.internal.number;
  const user = directory.users.find((u) => u.number === phoneUser)!;
  const prefix = capture.fileName.replace(/-\d+\.pcap$/, '-');
  const own = call.captures.filter((c) => c.fileName.startsWith(prefix));
  const callExternal = externalPattern(call) === 'none' ? null : call.expected.external;
  const talkedToExternal = own.some((c) => c.segments.some((s) => s.external.number === callExternal));
  return { agent: isAgent(user) ? phoneUser : null, external: talkedToExternal ? callExternal : capture.segments[0]!.external.number, phoneUser };
}

function checkCase(c: RuleCase): void {
  const call = planOne(c.call);
  expect(call.expected.rule).toBe(c.rule);
  const cdrs = recorderCdrs(call);
  if (call.captures.length === 0) {
    // Nothing recorded (unanswered, internal call on the gateway): had a gateway written a file, it would be deleted.
    const decision = decideRecording({ captureName: `${call.confId}.pcap`, cdrs });
    expect(decision).toMatchObject({ action: 'delete', agent: null });
    expect(call.expected.agent).toBeNull();
    return;
  }
  for (const capture of call.captures) {
    const decision = decideRecording({ captureName: capture.fileName, cdrs, gatewayIds });
    const where = `${capture.fileName} (${capture.side}): ${decision.reason}`;
    const truth = truthFor(call, capture);
    expect(decision.agent, where).toBe(truth.agent);
    expect(decision.external, where).toBe(truth.external);
    expect(decision.action, where).toBe(truth.agent === null ? 'delete' : 'file');
    if (capture.side === 'gateway') {
      expect(decision.rule, where).toBe(nameSeenInCdrs(call.expected.rule));
    } else {
      expect(decision.rule, where).toBe(truth.agent === null ? 'phone-of-user' : 'phone-of-agent');
      // The expected Agent's own phone capture is filed as the call-level rule says.
      if (truth.phoneUser === call.expected.agent) expect({ agent: decision.agent, external: decision.external }).toEqual({ agent: call.expected.agent, external: call.expected.external });
    }
    if (decision.agent !== null) expect(decision.agentName).toBe(directory.users.find((u) => u.number === decision.agent)!.displayName);
    expect(decision.direction, where).toBe(expectedDirection(call, truth.phoneUser));
    expect(Math.abs(decision.secondsToAnswer - expectedSecondsToAnswer(call)), where).toBeLessThanOrEqual(1);
    expect(decision.start).toBeGreaterThanOrEqual(Math.floor(call.setupTime / 1000) * 1000);
    expect(decision.start).toBeLessThanOrEqual(call.setupTime + call.endAt);
    expect(decision.reason.length).toBeGreaterThan(30);
  }
}

/** The gateway capture decided from the Report XML records alone (what polling the reporting gives). */
function checkCaseFromReport(c: RuleCase): void {
  const call = planOne(c.call);
  const legs = reportedLegs(call);
  const fromCdr = recorderCdrs(call);
  const gatewayCaptures = call.captures.filter((capture) => capture.side === 'gateway');
  const names = gatewayCaptures.length > 0 ? gatewayCaptures.map((capture) => capture.fileName) : [`${call.confId}.pcap`];
  for (const captureName of names) {
    const decision = decideRecording({ captureName, cdrs: legs, gatewayIds });
    const expected = decideRecording({ captureName, cdrs: fromCdr, gatewayIds });
    const where = `${captureName}: ${decision.reason}`;
    expect(decision.agent, where).toBe(gatewayCaptures.length > 0 ? call.expected.agent : expected.agent);
    expect(decision.agent, where).toBe(expected.agent);
    expect(decision.rule, where).toBe(expected.rule);
    expect({ action: decision.action, external: decision.external, direction: decision.direction, start: decision.start }, where).toEqual({
      action: expected.action,
      external: expected.external,
      direction: expected.direction,
      start: expected.start,
    });
    // Records carry no time per event: the ringing is exact for filed calls, rebuilt roughly for deleted ones.
    if (decision.action === 'file') expect(Math.abs(decision.secondsToAnswer - expected.secondsToAnswer), where).toBeLessThanOrEqual(1);
  }
}

describe('decideRecording from Report XML records (the reporting query)', () => {
  for (const c of referenceCases) it(`${c.rule}: ${c.title}`, () => checkCaseFromReport(c));
  for (const c of derivedCases) it(`${c.rule} (derived): ${c.title}`, () => checkCaseFromReport(c));
});

describe('decideRecording on the reference rule scenarios', () => {
  for (const c of referenceCases) it(`${c.rule}: ${c.title}`, () => checkCase(c));
  for (const c of derivedCases) it(`${c.rule} (derived): ${c.title}`, () => checkCase(c));

  it('has a scenario for every rule of AGENT_RULES and DERIVED_RULES', () => {
    const covered = new Set([...referenceCases, ...derivedCases].map((c) => c.rule));
    for (const rule of [...AGENT_RULES, ...DERIVED_RULES]) expect(covered.has(rule.name), rule.name).toBe(true);
  });

  it('the inbound Agent case, in full', () => {
    const call = planOne({ kind: 'inbound', from: E, to: '20', ringSeconds: 4 });
    const decision = decideRecording({ captureName: `${call.confId}.pcap`, cdrs: recorderCdrs(call) });
    const { reason, ...rest } = decision;
    expect(rest).toEqual({ action: 'file', agent: '20', agentName: 'Mario Rossi', external: E, direction: 'i', secondsToAnswer: 4, start: START, rule: 'external-to-agent' });
    expect(reason).toBe(`Gateway capture: 20 (Mario Rossi) answered it and is the first Agent (group "Recording") to hold the call with ${E}: filed under 20.`);
  });

  it('outbound, deleted: says who held the call and that they are no Agents', () => {
    const call = planOne({ kind: 'outbound', from: '30', to: E });
    const decision = decideRecording({ captureName: `${call.confId}.pcap`, cdrs: recorderCdrs(call) });
    expect(decision).toMatchObject({ action: 'delete', agent: null, external: E, direction: 'o', rule: 'user-to-external' });
    expect(decision.agentName).toBeUndefined();
    expect(decision.reason).toContain('30 (Franco Bruno)');
  });
});

describe('property: random call-centre traffic', () => {
  it('agrees with the planned truth on every capture of 2,000 random calls', () => {
    const stats = {
      calls: 0,
      captures: 0,
      gateway: 0,
      gatewayAgent: 0,
      gatewayExternal: 0,
      gatewayRule: 0,
      phone: 0,
      phoneRule: 0,
      phoneAgreesWithCallExpected: 0,
      noCdr: 0,
      fullyReported: 0,
      directionOk: 0,
      secondsOk: 0,
      filed: 0,
      gatewayFull: 0,
      gatewayFullExternal: 0,
      gatewayFullRule: 0,
      phoneByIsCaller: 0,
    };
    const phoneVersusCall = new Map<string, number>();
    const problems: string[] = [];
    for (const seed of [11, 22, 33, 44]) {
      const scenario = randomScenario(directory, { calls: 500, seed });
      for (const call of planCalls(directory, scenario, START)) {
        stats.calls++;
        const cdrs = recorderCdrs(call);
        for (const capture of call.captures) {
          stats.captures++;
          const truth = truthFor(call, capture);
          const where = `seed ${seed} call ${call.index} ${JSON.stringify(call.scenario)} ${capture.fileName}`;
          let decision: RecordingDecision;
          try {
            decision = decideRecording({ captureName: capture.fileName, cdrs, gatewayIds });
          } catch (error) {
            // No licensed user in the call: the service retries and finally deletes — right only when nobody is to file it under.
            if (!(error instanceof NoCdrError) || truth.agent !== null) throw error;
            stats.noCdr++;
            continue;
          }
          if (decision.action === 'file') stats.filed++;
          const agentOk = decision.agent === truth.agent && decision.action === (truth.agent === null ? 'delete' : 'file');
          const externalOk = decision.external === truth.external;
          if (capture.side === 'gateway') {
            stats.gateway++;
            if (agentOk) stats.gatewayAgent++;
            else problems.push(`${where}: agent ${decision.agent} expected ${truth.agent} (${call.expected.rule}); ${decision.reason}`);
            if (externalOk) stats.gatewayExternal++;
            else if (fullyReported(call)) problems.push(`${where}: external ${decision.external} expected ${truth.external}`);
            if (fullyReported(call)) {
              stats.gatewayFull++;
              if (externalOk) stats.gatewayFullExternal++;
              if (decision.rule === nameSeenInCdrs(call.expected.rule)) stats.gatewayFullRule++;
            }
            if (decision.rule === nameSeenInCdrs(call.expected.rule)) stats.gatewayRule++;
            else if (fullyReported(call)) problems.push(`${where}: rule ${decision.rule} expected ${call.expected.rule}`);
          } else {
            stats.phone++;
            // Planner issue (reported): with an explicit `by` equal to `from`, the plan's timeline lets `to` hand the call on
            // while its CDRs name `from` as the transferrer, so a phone's far party cannot match both.
            const byIsCaller = call.scenario.by !== undefined && call.scenario.by === call.scenario.from;
            if (byIsCaller && !externalOk) stats.phoneByIsCaller++;
            if (agentOk && (externalOk || !fullyReported(call) || byIsCaller)) stats.phoneRule++;
            else problems.push(`${where}: phone agent ${decision.agent} / ${decision.external}, expected ${truth.agent} / ${truth.external}`);
            if (decision.agent === call.expected.agent) stats.phoneAgreesWithCallExpected++;
            else {
              const key = `phone of ${decision.agent === null ? 'a User' : 'an Agent'}, call filed under ${call.expected.agent === null ? 'nobody' : 'another Agent'} (${call.expected.rule})`;
              phoneVersusCall.set(key, (phoneVersusCall.get(key) ?? 0) + 1);
            }
          }
          if (fullyReported(call)) {
            stats.fullyReported++;
            if (decision.direction === expectedDirection(call, truth.phoneUser)) stats.directionOk++;
            else problems.push(`${where}: direction ${decision.direction}`);
            if (Math.abs(decision.secondsToAnswer - expectedSecondsToAnswer(call)) <= 1) stats.secondsOk++;
            else problems.push(`${where}: secondsToAnswer ${decision.secondsToAnswer}, expected ${expectedSecondsToAnswer(call)}`);
          }
        }
      }
    }
    console.log(
      [
        `rules property: ${stats.calls} calls, ${stats.captures} captures: ${stats.gateway} gateway and ${stats.phone} phone captures decided (${stats.filed} filed), ${stats.noCdr} without any CDR (NoCdrError; truth: nobody to file under)`,
        `  gateway captures: agent/action ${stats.gatewayAgent}/${stats.gateway}, external ${stats.gatewayExternal}/${stats.gateway}, rule name ${stats.gatewayRule}/${stats.gateway}`,
        `  gateway captures of fully reported calls (every user licensed): external ${stats.gatewayFullExternal}/${stats.gatewayFull}, rule name ${stats.gatewayFullRule}/${stats.gatewayFull}`,
        `  phone captures: phone rule (own user if Agent) ${stats.phoneRule}/${stats.phone} (far party not checked on ${stats.phoneByIsCaller}: planner by===from issue); same agent as the call-level expected ${stats.phoneAgreesWithCallExpected}/${stats.phone}`,
        ...[...phoneVersusCall].sort((a, b) => b[1] - a[1]).map(([key, n]) => `    ${n} × ${key}`),
        `  captures of fully reported calls: direction ${stats.directionOk}/${stats.fullyReported}, secondsToAnswer (±1 s) ${stats.secondsOk}/${stats.fullyReported}`,
      ].join('\n'),
    );
    expect(problems.slice(0, 10)).toEqual([]);
    expect(stats.calls).toBe(2000);
    expect(stats.gatewayAgent).toBe(stats.gateway);
    expect(stats.gatewayFullExternal).toBe(stats.gatewayFull);
    expect(stats.gatewayFullRule).toBe(stats.gatewayFull);
    expect(stats.phoneRule).toBe(stats.phone);
    expect(stats.gateway).toBeGreaterThan(1000);
    expect(stats.phone).toBeGreaterThan(20);
  });
});

describe('property: Report XML records decide as CDR-XML does', () => {
  it('files every gateway capture of 2,000 random calls under the same Agent, rule and external party from either form', () => {
    let gateway = 0;
    let same = 0;
    let sameSeconds = 0;
    const problems: string[] = [];
    for (const seed of [11, 22, 33, 44]) {
      const scenario = randomScenario(directory, { calls: 500, seed });
      for (const call of planCalls(directory, scenario, START)) {
        const cdrs = recorderCdrs(call);
        if (cdrs.length === 0) continue;
        const legs = reportedLegs(call);
        for (const capture of call.captures) {
          if (capture.side !== 'gateway') continue;
          gateway++;
          const fromCdr = decideRecording({ captureName: capture.fileName, cdrs, gatewayIds });
          const fromReport = decideRecording({ captureName: capture.fileName, cdrs: legs, gatewayIds });
          const key = (d: RecordingDecision): string => `${d.action} ${d.agent} ${d.rule} ${d.external} ${d.direction}`;
          if (key(fromReport) === key(fromCdr)) same++;
          else problems.push(`seed ${seed} call ${call.index} ${JSON.stringify(call.scenario)}: report ${key(fromReport)}, CDR ${key(fromCdr)}`);
          if (fromCdr.action === 'delete' || Math.abs(fromReport.secondsToAnswer - fromCdr.secondsToAnswer) <= 1) sameSeconds++;
        }
      }
    }
    console.log(`report vs CDR-XML: ${same}/${gateway} gateway captures decided alike; seconds to answer of filed ones within 1 s: ${sameSeconds}/${gateway}`);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(gateway).toBeGreaterThan(1000);
    // Records have no time per event: a handful of multi-step calls (transfers after consultation) rebuild the ring a few seconds off.
    expect(sameSeconds / gateway).toBeGreaterThan(0.99);
  });
});
