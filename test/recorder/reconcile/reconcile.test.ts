// reconcileCalls: which calls are in scope (connected calls of recorded users, no marking calls) and the verdict of
// each from recordings, trail outcomes, logged deletions and work in progress.
import { describe, expect, it } from 'vitest';
import type { Cdr, CdrEvent } from '../../../src/recorder/pbx/index.js';
import { deletionOf, reconcileCalls } from '../../../src/recorder/reconcile/index.js';
import type { CallOutcome, ReconcileSources } from '../../../src/recorder/reconcile/index.js';

const T0 = Date.UTC(2026, 11, 4, 9, 0, 0) / 1000;
const E = '0049301234567';
let confCounter = 0;

function conf(): string {
  confCounter++;
  return confCounter.toString(16).padStart(32, '0');
}

/** One leg: a user (in the recording group or not) and the far party, connected or only rung. */
function leg(confId: string, user: string, options: { agent?: boolean; connected?: boolean; partner?: string; external?: boolean; at?: number } = {}): Cdr {
  const partner = options.partner ?? E;
  const party = { e164: partner, external: options.external ?? partner === E };
  const at = options.at ?? 0;
  const events: CdrEvent[] = [{ msg: 'setup-from', time: 0, party, conf: confId }, ...(options.connected === false ? [] : [{ msg: 'conn-from', time: 2, party } as CdrEvent]), { msg: 'rel-from', time: 62, party }];
  return {
    guid: `guid-${user}`,
    pbx: 'pbx-1',
    cn: `User ${user}`,
    e164: user,
    h323: `u${user}`,
    dir: 'from',
    utc: T0 + at,
    local: T0 + at,
    conf: confId,
    groups: options.agent === false ? [] : [{ name: 'Recording', active: true }],
    events,
  };
}

function outcome(confId: string, action: CallOutcome['action'], seq: number, rest: Partial<CallOutcome> = {}): CallOutcome {
  return { action, conf: confId, at: new Date(T0 * 1000 + 120_000).toISOString(), seq, ...rest };
}

function sources(legs: Cdr[], parts: Partial<ReconcileSources> = {}): ReconcileSources {
  return {
    legs,
    recordingGroup: 'recording',
    recordingsOf: () => [],
    outcomes: new Map(),
    deletions: new Map(),
    inProgress: new Set(),
    settledBefore: T0 * 1000 + 3600_000,
    ...parts,
  };
}

const FROM = new Date(T0 * 1000);
const TO = new Date(T0 * 1000 + 86_400_000);

describe('reconcileCalls', () => {
  it('takes connected calls of recorded users only, and leaves out calls to the thread-call object', () => {
    const [recorded, user, rung, marking] = [conf(), conf(), conf(), conf()];
    const report = reconcileCalls(
      FROM,
      TO,
      sources([leg(recorded, '20'), leg(user, '30', { agent: false }), leg(rung, '21', { connected: false }), leg(marking, '20', { partner: '77', external: false })], {
        tcrNumber: '77',
        recordingsOf: (c) => (c === recorded ? ['2026_12_04_0900_20_i_E_2_x.wav'] : []),
      }),
    );
    expect(report.callsInReporting).toBe(4);
    expect(report.calls.map((call) => call.conf)).toEqual([recorded]);
    expect(report.calls[0]).toMatchObject({ verdict: 'recorded', problem: false, agents: ['20'], external: E, start: new Date(T0 * 1000).toISOString() });
    expect(report.problems).toBe(0);
  });

  it('gives each outcome its verdict, and a finding only where there is no recording and no acceptable reason', () => {
    const c = Array.from({ length: 9 }, () => conf());
    const outcomes = new Map<string, CallOutcome[]>([
      [c[0]!, [outcome(c[0]!, 'call-not-recorded', 1, { cause: 'random', reason: 'random recording: call 2 of the system skipped' })]],
      [c[1]!, [outcome(c[1]!, 'capture-quarantined', 2, { reason: 'conversion failed: no RTP' })]],
      [c[2]!, [outcome(c[2]!, 'call-recorded', 3, { recording: 'a.wav' })]],
      [c[3]!, [outcome(c[3]!, 'call-recorded', 4, { recording: 'b.wav' })]],
      [c[4]!, [outcome(c[4]!, 'call-recorded', 5, { recording: 'c.wav' })]],
      [c[5]!, [outcome(c[5]!, 'call-without-capture', 6)]],
      [c[6]!, [outcome(c[6]!, 'call-without-capture', 7)]],
      // Quarantined first, then not recorded on a later decision: the later entry counts.
      [c[8]!, [outcome(c[8]!, 'capture-quarantined', 8, { reason: 'no CDR' }), outcome(c[8]!, 'call-not-recorded', 9, { cause: 'tcr-unmarked', reason: 'not marked' })]],
    ]);
    const report = reconcileCalls(
      FROM,
      TO,
      sources(
        [
          leg(c[0]!, '20'),
          leg(c[1]!, '20'),
          leg(c[2]!, '21'),
          leg(c[3]!, '21'),
          leg(c[4]!, '22'),
          leg(c[5]!, '22', { partner: '21', external: false }),
          leg(c[6]!, '22'),
          leg(c[7]!, '23'),
          leg(c[8]!, '23'),
        ],
        { outcomes, deletions: new Map([['a.wav', 'deleted by retention (retentionMonths = 1)'], ['b.wav', 'deleted by supervisor at …']]) },
      ),
    );
    const verdicts = new Map(report.calls.map((call) => [call.conf, call]));
    expect(verdicts.get(c[0]!)).toMatchObject({ verdict: 'not-recorded', cause: 'random', problem: false });
    expect(verdicts.get(c[1]!)).toMatchObject({ verdict: 'quarantined', reason: 'conversion failed: no RTP', problem: false });
    expect(verdicts.get(c[2]!)).toMatchObject({ verdict: 'deleted', problem: false, recordings: ['a.wav'] });
    expect(verdicts.get(c[2]!)!.reason).toContain('retention');
    expect(verdicts.get(c[3]!)).toMatchObject({ verdict: 'deleted', problem: false });
    expect(verdicts.get(c[4]!)).toMatchObject({ verdict: 'missing', problem: true, recordings: ['c.wav'] });
    expect(verdicts.get(c[5]!)).toMatchObject({ verdict: 'no-capture', problem: false, external: null });
    expect(verdicts.get(c[6]!)).toMatchObject({ verdict: 'no-capture', problem: true, external: E });
    expect(verdicts.get(c[7]!)).toMatchObject({ verdict: 'unmatched', problem: true });
    expect(verdicts.get(c[8]!)).toMatchObject({ verdict: 'not-recorded', cause: 'tcr-unmarked' });
    expect(report.problems).toBe(3);
    expect(report.counts).toEqual({ recorded: 0, 'not-recorded': 2, quarantined: 1, deleted: 2, 'no-capture': 2, pending: 0, missing: 1, unmatched: 1 });
  });

  it('calls that ended too recently, or whose capture is being worked on, are pending, not findings', () => {
    const [recent, working, old] = [conf(), conf(), conf()];
    const report = reconcileCalls(FROM, TO, sources([leg(recent, '20', { at: 7200 }), leg(working, '21'), leg(old, '22')], { inProgress: new Set([working]), settledBefore: T0 * 1000 + 3600_000 }));
    const verdicts = new Map(report.calls.map((call) => [call.conf, call.verdict]));
    expect(verdicts.get(recent)).toBe('pending');
    expect(verdicts.get(working)).toBe('pending');
    expect(verdicts.get(old)).toBe('unmatched');
  });

  it('a call with two recorded users and a phone capture per leg lists both agents and every recording', () => {
    const c = conf();
    const report = reconcileCalls(FROM, TO, sources([leg(c, '20', { partner: '21', external: false }), leg(c, '21', { partner: '20', external: false })], { recordingsOf: () => ['x-1.wav', 'x-2.wav'] }));
    expect(report.calls).toHaveLength(1);
    expect(report.calls[0]).toMatchObject({ agents: ['20', '21'], verdict: 'recorded', recordings: ['x-1.wav', 'x-2.wav'] });
  });

  it("counts as logged deletions: retention, a user's delete and an erasure (player or command line), nothing else", () => {
    const entry = (action: string, detail: Record<string, unknown> = {}) => ({ seq: 1, at: '2026-12-04T10:00:00.000Z', user: 'sue', action, recording: 'r1', detail: { recording: 'r1', ...detail } });
    expect(deletionOf(entry('retention-delete', { policy: 'traders: 60 months' }))).toBe('deleted by retention (traders: 60 months) at 2026-12-04T10:00:00.000Z');
    expect(deletionOf(entry('delete'))).toBe('deleted by sue at 2026-12-04T10:00:00.000Z');
    expect(deletionOf(entry('erase', { reason: 'GDPR request 5' }))).toBe('erased by sue at 2026-12-04T10:00:00.000Z: GDPR request 5');
    expect(deletionOf(entry('play'))).toBeUndefined();
    expect(deletionOf({ ...entry('delete'), recording: undefined })).toBeUndefined();
  });
});
