import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import type { CallEvent, PbxDirectory, PlannedCall, ScenarioCall } from '../../../src/embedded/model.js';
import { CALL_KINDS, confIdFor, defaultDirectory, isAgent, phoneId, planCalls, randomScenario } from '../../../src/embedded/plan/index.js';

const directory = defaultDirectory();
const E = '0070317300912';
const START = Date.UTC(2024, 4, 12, 14, 0, 0);

function planOne(call: Omit<ScenarioCall, 'at'>, dir: PbxDirectory = directory): PlannedCall {
  return planCalls(dir, { seed: 9, calls: [{ at: 0, ...call }] }, START)[0]!;
}

function legEvents(call: PlannedCall): Map<number, CallEvent[]> {
  const legs = new Map<number, CallEvent[]>();
  for (const event of call.events) legs.set(event.leg, [...(legs.get(event.leg) ?? []), event]);
  return legs;
}

/** Everything a consumer relies on, for a whole run. */
function checkRun(dir: PbxDirectory, calls: readonly PlannedCall[]): void {
  const legOwner = new Map<number, string>();
  const confIds = new Set<string>();
  const files = new Set<string>();
  const tan = dir.vmObjects.find((vm) => vm.role === 'tan')!;
  const tcr = dir.vmObjects.find((vm) => vm.role === 'tcr')!;
  calls.forEach((call, i) => {
    const where = `call ${call.index} (${call.scenario.kind})`;
    assert.equal(call.index, i + 1, where);
    assert.match(call.confId, /^[0-9a-f]{32}$/, where);
    assert.equal(confIds.has(call.confId), false, where);
    confIds.add(call.confId);
    assert.equal(call.setupTime, START + Math.round(call.scenario.at * 1000));

    // Events in time order; legs unique in the run; each leg set up first, released last, once.
    for (let k = 1; k < call.events.length; k++) assert.ok(call.events[k]!.at >= call.events[k - 1]!.at, where);
    for (const [leg, events] of legEvents(call)) {
      const owner = `${call.confId}/${events[0]!.user}`;
      assert.equal(legOwner.get(leg) ?? owner, owner, `${where} leg ${leg}`);
      legOwner.set(leg, owner);
      assert.equal(new Set(events.map((e) => e.user)).size, 1, where);
      assert.equal(new Set(events.map((e) => e.outgoing)).size, 1, where);
      assert.equal(events[0]!.type, 'setup', where);
      assert.equal(events[events.length - 1]!.type, 'release', where);
      assert.equal(events.filter((e) => e.type === 'release').length, 1, where);
      assert.ok(events.filter((e) => e.type === 'connect').length <= 1, where);
      const holds = events.filter((e) => e.type === 'hold').length;
      const retrieves = events.filter((e) => e.type === 'retrieve').length;
      assert.ok(retrieves <= holds, where);
    }
    // The call ends with its own conference's last event; a marking call placed after it (its own conference) later.
    const last = Math.max(...call.events.filter((e) => e.conf === undefined).map((e) => e.at));
    assert.equal(call.endAt, last, where);
    for (const event of call.events.filter((e) => e.conf !== undefined)) assert.ok(event.at > call.endAt && event.conf !== call.confId, where);
    if (call.scenario.kind === 'unanswered') {
      assert.equal(call.answerAt, undefined, where);
      assert.equal(call.events.some((e) => e.type === 'connect'), false, where);
      assert.deepEqual(call.captures, [], where);
    } else {
      assert.ok(call.answerAt !== undefined && call.answerAt >= 0, where);
      assert.ok(call.answerAt! <= call.endAt, where);
    }

    // Captures lie in the call, their segments ordered and apart.
    for (const capture of call.captures) {
      assert.equal(files.has(capture.fileName), false, where);
      files.add(capture.fileName);
      assert.equal(capture.fileName.startsWith(call.confId), true, where);
      assert.match(capture.fileName, capture.side === 'gateway' ? /^[0-9a-f]{32}\.pcap$/ : /^[0-9a-f]{32}-[0-9a-f]{12}-[1-9][0-9]*\.pcap$/, where);
      assert.ok(capture.start >= 0, where);
      assert.ok(capture.end <= call.endAt, where);
      assert.ok(capture.segments.length > 0, where);
      // A phone switched on late or off early records less than its segment; anything else records it all.
      if (capture.side === 'phone' && call.scenario.recordKey !== undefined) {
        assert.ok(capture.start >= capture.segments[0]!.from && capture.end <= capture.segments[capture.segments.length - 1]!.to, where);
      } else {
        assert.equal(capture.start, capture.segments[0]!.from, where);
        assert.equal(capture.end, capture.segments[capture.segments.length - 1]!.to, where);
        assert.equal(capture.unrecorded, undefined, where);
      }
      let unrecordedEnd = capture.start;
      for (const span of capture.unrecorded ?? []) {
        assert.ok(span.from > unrecordedEnd && span.to > span.from && span.to < capture.end, where);
        unrecordedEnd = span.to;
      }
      let previous = -1;
      for (const segment of capture.segments) {
        assert.ok(segment.to > segment.from, where);
        assert.ok(segment.from >= previous, where);
        previous = segment.to;
        assert.equal(segment.internal.external, false, where);
        if (capture.side === 'gateway') assert.equal(segment.external.external, true, where);
      }
      assert.equal(capture.codec, call.scenario.codec ?? 'pcma', where);
      assert.equal(capture.packetMs, call.scenario.packetMs ?? 20, where);
    }

    // The truth: an Agent's number or null; a rule name.
    if (call.expected.agent !== null) {
      assert.equal(isAgent(dir.users.find((u) => u.number === call.expected.agent)), true, where);
      assert.ok(call.captures.length > 0, where);
    }
    assert.match(call.expected.rule, /^[a-zA-Z-]+$/, where);

    // TAN and TCR show up as DTMF to their objects.
    if (call.scenario.tan) {
      const dtmf = call.events.find((e) => e.type === 'dtmf' && e.detail === call.scenario.tan);
      assert.equal(dtmf?.peer.number, tan.number, where);
    }
    if (call.scenario.tcr === 'during') assert.equal(call.events.some((e) => e.type === 'dtmf' && e.peer.number === tcr.number), true, where);
    if (call.scenario.tcr === 'after') {
      const tcrLeg = call.events.find((e) => e.peer.number === tcr.number && e.type === 'setup')!;
      const talkEnd = Math.max(...call.events.filter((e) => e.type === 'release' && e.leg !== tcrLeg.leg).map((e) => e.at));
      assert.ok(tcrLeg.at > talkEnd, where);
    }
  });
}

describe('random scenarios', () => {
  it('are the same for the same seed and differ for another', () => {
    const a = randomScenario(directory, { calls: 200, seed: 1234 });
    const b = randomScenario(directory, { calls: 200, seed: 1234 });
    const c = randomScenario(directory, { calls: 200, seed: 1235 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(planCalls(directory, b, START)).toEqual(planCalls(directory, a, START));
    const confIds = (s: typeof a): string[] => planCalls(directory, s, START).map((p) => p.confId);
    expect(confIds(c)).not.toEqual(confIds(a));
  });

  it('cover every kind in 1,000 calls, mostly inbound and outbound, with consistent plans', () => {
    const scenario = randomScenario(directory, { calls: 1000, seed: 77, meanGapSeconds: 5 });
    const counts = new Map<string, number>();
    for (const call of scenario.calls) counts.set(call.kind, (counts.get(call.kind) ?? 0) + 1);
    for (const kind of CALL_KINDS) expect(counts.get(kind) ?? 0, kind).toBeGreaterThan(0);
    expect((counts.get('inbound') ?? 0) + (counts.get('outbound') ?? 0)).toBeGreaterThan(400);
    for (let i = 1; i < scenario.calls.length; i++) expect(scenario.calls[i]!.at).toBeGreaterThanOrEqual(scenario.calls[i - 1]!.at);

    const codecs = new Map<string, number>();
    for (const call of scenario.calls) codecs.set(call.codec ?? 'pcma', (codecs.get(call.codec ?? 'pcma') ?? 0) + 1);
    expect(codecs.get('pcma')!).toBeGreaterThan(400);
    for (const codec of ['pcmu', 'g722', 'g729']) expect(codecs.get(codec) ?? 0, codec).toBeGreaterThan(20);
    const tans = scenario.calls.filter((c) => c.tan !== undefined);
    expect(tans.length).toBeGreaterThan(50);
    for (const call of tans) expect(call.tan).toMatch(/^[0-9]{6}$/);
    expect(scenario.calls.filter((c) => c.tcr === 'during').length).toBeGreaterThan(5);
    expect(scenario.calls.filter((c) => c.tcr === 'after').length).toBeGreaterThan(5);
    expect(scenario.calls.filter((c) => c.impairments).length).toBeGreaterThan(20);
    for (const call of scenario.calls) {
      if (call.kind === 'unanswered') continue;
      expect(call.talkSeconds!).toBeGreaterThanOrEqual(5);
      expect(call.talkSeconds!).toBeLessThanOrEqual(60);
      expect(call.ringSeconds!).toBeGreaterThanOrEqual(1);
      expect(call.ringSeconds!).toBeLessThanOrEqual(8);
    }

    const planned = planCalls(directory, scenario, START);
    checkRun(directory, planned);
    expect(planned.filter((p) => p.captures.some((c) => c.side === 'phone')).length).toBeGreaterThan(10);
    expect(planned.filter((p) => p.expected.agent !== null).length).toBeGreaterThan(400);
    expect(planned.filter((p) => p.expected.agent === null && p.captures.length > 0).length).toBeGreaterThan(50);
  });

  it('keep to the kinds asked for, and refuse kinds the directory cannot make', () => {
    const scenario = randomScenario(directory, { calls: 50, seed: 3, kinds: ['queue', 'cfnr'] });
    expect(new Set(scenario.calls.map((c) => c.kind))).toEqual(new Set(['queue', 'cfnr']));
    const noQueue = { ...directory, groups: directory.groups.filter((g) => g.kind !== 'queue') };
    expect(() => randomScenario(noQueue, { calls: 5, seed: 3, kinds: ['queue'] })).toThrow('cannot make "queue" calls: the directory has no waiting queue with members');
    expect(randomScenario(noQueue, { calls: 300, seed: 3 }).calls.some((c) => c.kind === 'queue')).toBe(false);
  });
});

describe('random scenarios with phones in manual and optional recording mode', () => {
  it('press record keys on those phones only, and every plan holds together', () => {
    const dir: PbxDirectory = {
      ...directory,
      users: directory.users.map((user) =>
        user.number === '27' ? { ...user, phoneRecording: { mode: 'manual' as const, marksTcr: true } } : user.number === '26' ? { ...user, captureSide: 'phone' as const, phoneRecording: { mode: 'optional' as const } } : user,
      ),
    };
    const scenario = randomScenario(dir, { calls: 600, seed: 31, meanGapSeconds: 5 });
    const pressed = scenario.calls.filter((c) => c.recordKey !== undefined);
    expect(pressed.length).toBeGreaterThan(10);
    for (const call of pressed) expect([call.from, call.to, call.via].some((n) => n === '26' || n === '27')).toBe(true);
    const planned = planCalls(dir, scenario, START);
    checkRun(dir, planned);
    expect(planned.some((p) => p.captures.some((c) => c.unrecorded !== undefined))).toBe(true);
    expect(planned.some((p) => p.markedByPhone === true)).toBe(true);
    // The default directory has no switchable phone: its random runs are as they were.
    expect(randomScenario(directory, { calls: 200, seed: 31 }).calls.some((c) => c.recordKey !== undefined)).toBe(false);
  });
});

describe('planCalls', () => {
  it('gives unique, repeatable conference ids', () => {
    expect(confIdFor(1, 1)).toBe(confIdFor(1, 1));
    const ids = new Set(Array.from({ length: 5000 }, (_, i) => confIdFor(42, i + 1)));
    expect(ids.size).toBe(5000);
  });

  it('plans an inbound call to an Agent: legs, answer, one gateway capture', () => {
    const call = planOne({ kind: 'inbound', from: E, to: '20', ringSeconds: 3, talkSeconds: 20 });
    expect(call.direction).toBe('inbound');
    expect(call.caller).toEqual({ number: E, external: true });
    expect(call.called).toEqual({ number: '20', name: 'Mario Rossi', object: 'rossi', external: false });
    expect(call.events.map((e) => [e.at, e.type, e.user])).toEqual([
      [0, 'setup', 'rossi'],
      [150, 'alert', 'rossi'],
      [3000, 'connect', 'rossi'],
      [23000, 'release', 'rossi'],
    ]);
    expect(call.answerAt).toBe(3000);
    expect(call.endAt).toBe(23000);
    expect(call.captures).toHaveLength(1);
    const [capture] = call.captures;
    expect(capture!.fileName).toBe(`${call.confId}.pcap`);
    expect(capture!.side).toBe('gateway');
    expect(capture!.segments).toEqual([{ from: 3000, to: 23000, internal: call.called, external: call.caller }]);
    expect(call.expected).toEqual({ agent: '20', external: E, rule: 'external-to-agent' });
  });

  it('leaves the consultation out of the gateway capture (a gap), but the phone writes one file per call it opens', () => {
    const call: Omit<ScenarioCall, 'at'> = { kind: 'consult', from: '20', to: E, via: '30', ringSeconds: 2, talkSeconds: 20, secondTalkSeconds: 10 };
    const gateway = planOne(call);
    expect(gateway.captures).toHaveLength(1);
    expect(gateway.captures[0]!.segments.map((s) => [s.from, s.to])).toEqual([
      [2000, 12000],
      [25500, 35500],
    ]);
    const hold = gateway.events.find((e) => e.type === 'hold')!;
    const retrieve = gateway.events.find((e) => e.type === 'retrieve')!;
    expect([hold.at, hold.user, retrieve.at, retrieve.leg]).toEqual([12000, 'rossi', 25500, hold.leg]);

    const phone = planOne({ ...call, captureSide: 'phone' });
    const rossi = phoneId(directory.users[0]!);
    const bruno = phoneId(directory.users.find((u) => u.number === '30')!);
    expect(phone.captures.map((c) => [c.fileName, c.start, c.end])).toEqual([
      [`${phone.confId}-${rossi}-1.pcap`, 2000, 12000],
      [`${phone.confId}-${rossi}-2.pcap`, 15000, 25000],
      [`${phone.confId}-${rossi}-3.pcap`, 25500, 35500],
      [`${phone.confId}-${bruno}-1.pcap`, 15000, 25000],
    ]);
    expect(phone.captures[1]!.segments[0]!.external.number).toBe('30');
  });

  it('records the whole outside call across an attended transfer from Agent A to Agent B', () => {
    const call = planOne({ kind: 'attended-transfer', from: E, to: '20', via: '21', ringSeconds: 1, talkSeconds: 10, secondTalkSeconds: 8 });
    const segments = call.captures[0]!.segments;
    expect(segments.map((s) => [s.from, s.to, s.internal.number])).toEqual([
      [1000, 11000, '20'],
      [18000, 26000, '21'],
    ]);
    const transfers = call.events.filter((e) => e.type === 'transfer');
    expect(transfers.every((e) => e.detail === '21' && e.at === 18000)).toBe(true);
    expect(new Set(transfers.map((e) => e.user))).toEqual(new Set(['rossi', 'bianchi']));
    expect(call.expected.agent).toBe('20');
  });

  it('enters a TAN by holding, dialling the TAN object and retrieving, which leaves a gap in the capture', () => {
    const call = planOne({ kind: 'outbound', from: '20', to: E, ringSeconds: 2, talkSeconds: 20, tan: '654321' });
    const typed = call.events.filter((e) => ['hold', 'dtmf', 'retrieve'].includes(e.type)).map((e) => [e.at, e.type, e.peer.number, e.detail]);
    expect(typed).toEqual([
      [10500, 'hold', E, undefined],
      [12000, 'dtmf', '50', '654321'],
      [13500, 'retrieve', E, undefined],
    ]);
    expect(call.tan).toBe('654321');
    expect(call.captures[0]!.segments.map((s) => [s.from, s.to])).toEqual([
      [2000, 10500],
      [13500, 22000],
    ]);
  });

  it('gives TAN events the party on the line at that moment, even when the leg is later transferred', () => {
    const call = planOne({ kind: 'blind-transfer', from: E, to: '20', via: '21', ringSeconds: 1, talkSeconds: 20, tan: '111222' });
    const rossi = call.events.filter((e) => e.user === 'rossi').map((e) => [e.type, e.peer.number]);
    expect(rossi).toEqual([
      ['setup', E],
      ['alert', E],
      ['connect', E],
      ['hold', E],
      ['dtmf', '50'],
      ['retrieve', E],
      ['hold', E],
      ['transfer', '21'],
      ['release', '21'],
    ]);
    expect(call.expected.agent).toBe('20');
  });

  it('marks TCR during the call with the called Agent when both are Agents, and after the call by a call of its own', () => {
    const during = planOne({ kind: 'internal', from: '20', to: '21', captureSide: 'phone', tcr: 'during', ringSeconds: 1, talkSeconds: 10 });
    const dtmf = during.events.find((e) => e.type === 'dtmf')!;
    expect([dtmf.user, dtmf.peer.number, dtmf.detail, dtmf.at]).toEqual(['bianchi', '51', '51', 2000]);

    const after = planOne({ kind: 'inbound', from: E, to: '22', tcr: 'after', ringSeconds: 1, talkSeconds: 10 });
    const tcrLeg = after.events.filter((e) => e.peer.number === '51');
    expect(tcrLeg.map((e) => [e.at, e.type, e.user, e.outgoing])).toEqual([
      [12000, 'setup', 'ferrari', true],
      [12300, 'connect', 'ferrari', true],
      [15300, 'release', 'ferrari', true],
    ]);
    // The marking call is a call of its own: its own conference, after the call's end.
    expect(after.endAt).toBe(11000);
    expect(new Set(tcrLeg.map((e) => e.conf))).toEqual(new Set([expect.stringMatching(/^[0-9a-f]{32}$/)]));
    expect(tcrLeg[0]!.conf).not.toBe(after.confId);
    expect(after.events.filter((e) => e.peer.number !== '51').every((e) => e.conf === undefined)).toBe(true);
    expect(after.captures[0]!.end).toBe(11000);
  });

  it('forwards on no answer after the forwarding user’s timeout', () => {
    const call = planOne({ kind: 'cfnr', from: E, to: '20', ringSeconds: 2, talkSeconds: 5 });
    expect(call.events.map((e) => [e.at, e.type, e.user, e.detail])).toEqual([
      [0, 'setup', 'rossi', undefined],
      [150, 'alert', 'rossi', undefined],
      [10000, 'forward', 'rossi', 'cfnr'],
      [10000, 'release', 'rossi', 'no-answer'],
      [10000, 'setup', 'bianchi', undefined],
      [10150, 'alert', 'bianchi', undefined],
      [12000, 'connect', 'bianchi', undefined],
      [17000, 'release', 'bianchi', 'normal'],
    ]);
    expect(call.answerAt).toBe(12000);
  });

  it('records the queue from its answer: IVR, waiting, then the member', () => {
    const call = planOne({ kind: 'queue', from: E, to: '41', via: '25', ringSeconds: 2, talkSeconds: 10 });
    expect(call.captures[0]!.segments.map((s) => [s.from, s.to, s.internal.object])).toEqual([
      [1000, 7000, 'ivr-menu'],
      [7000, 11000, 'service'],
      [11000, 21000, 'colombo'],
    ]);
    expect(call.answerAt).toBe(1000);
    expect(call.events.every((e) => e.user === 'colombo')).toBe(true);
  });

  it('rings every broadcast member and releases the others when one answers', () => {
    const call = planOne({ kind: 'group', from: E, to: '40', via: '21', ringSeconds: 2, talkSeconds: 5 });
    expect(new Set(call.events.filter((e) => e.type === 'alert').map((e) => e.user))).toEqual(new Set(['rossi', 'bianchi', 'ferrari', 'bruno']));
    expect(call.events.filter((e) => e.type === 'connect').map((e) => e.user)).toEqual(['bianchi']);
    expect(call.events.filter((e) => e.detail === 'answered-elsewhere').length).toBe(3);
  });

  it('reports a bad call with its index and field', () => {
    expect(() => planCalls(directory, { seed: 1, calls: [{ at: 0, kind: 'inbound', from: E, to: '20' }, { at: 1, kind: 'pickup', from: E, to: '20' }] }, START)).toThrow(
      'scenario: calls[1].via: is required for kind "pickup"',
    );
  });

  it('keeps leg handles unique across calls, and is pure', () => {
    const scenario = randomScenario(directory, { calls: 30, seed: 5 });
    const first = planCalls(directory, scenario, START);
    const again = planCalls(directory, scenario, START);
    expect(again).toEqual(first);
    const handles = first.flatMap((c) => [...new Set(c.events.map((e) => e.leg))]);
    expect(new Set(handles).size).toBe(handles.length);
  });
});
