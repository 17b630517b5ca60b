// Phones' own recording modes (the reference, "Manual/Transparent/Optional recording"): what the embedded PBX's
// phones write and mark when their users switch recording with the record key.
import { describe, expect, it } from 'vitest';
import type { PbxDirectory, PbxUser, PlannedCall, ScenarioCall } from '../../../src/embedded/model.js';
import { checkDirectory, defaultDirectory, parseDirectory, planCalls } from '../../../src/embedded/plan/index.js';

const E = '0070317300912';
const START = Date.UTC(2024, 4, 12, 14, 0, 0);

/** The default directory with some users' settings changed (by number). */
function withUsers(changes: Record<string, Partial<PbxUser>>): PbxDirectory {
  const directory = defaultDirectory();
  return { ...directory, users: directory.users.map((user) => (changes[user.number] ? { ...user, ...changes[user.number] } : user)) };
}

const phones = withUsers({
  '20': { captureSide: 'phone', phoneRecording: { mode: 'manual' } },
  '21': { captureSide: 'phone', phoneRecording: { mode: 'optional' } },
  '22': { captureSide: 'phone' },
  '23': { phoneRecording: { mode: 'transparent', marksTcr: true } },
  '24': { phoneRecording: { mode: 'manual', marksTcr: true } },
});

function plan(call: Omit<ScenarioCall, 'at'>, directory: PbxDirectory = phones): PlannedCall {
  return planCalls(directory, { seed: 3, calls: [{ at: 0, ringSeconds: 1, talkSeconds: 20, ...call }] }, START)[0]!;
}

describe('phone recording modes in the directory', () => {
  it('are read from the directory file, and refused where they could do nothing', () => {
    const parsed = parseDirectory(JSON.parse(JSON.stringify(phones)), 'pbx.json');
    expect(parsed.users.find((u) => u.number === '20')!.phoneRecording).toEqual({ mode: 'manual' });
    expect(checkDirectory(withUsers({ '25': { phoneRecording: { mode: 'manual' } } }))).toEqual([
      { path: 'users[5].phoneRecording.mode', reason: expect.stringContaining('"manual" has no effect') },
    ]);
    const noTcr = { ...withUsers({ '25': { phoneRecording: { mode: 'transparent', marksTcr: true } } }), vmObjects: [] };
    expect(checkDirectory(noTcr)).toEqual([{ path: 'users[5].phoneRecording.marksTcr', reason: expect.stringContaining('no VM object with role "tcr"') }]);
    expect(() => parseDirectory({ ...JSON.parse(JSON.stringify(phones)), users: [{ ...phones.users[0], phoneRecording: { mode: 'sometimes' } }] }, 'pbx.json')).toThrow(
      /pbx\.json: users\[0\]\.phoneRecording\.mode/,
    );
  });
});

describe('a phone recording in its own mode', () => {
  it('manual: nothing written until the key is pressed; then from the press, the switched-off part left out', () => {
    const silent = plan({ kind: 'inbound', from: E, to: '20' });
    expect(silent.captures).toEqual([]);
    expect(silent.expected).toMatchObject({ agent: null, rule: 'not-recorded' });

    // Answer at 1 s; on at +2 s, off at +5 s, on at +8 s, to the end at +20 s.
    const pressed = plan({ kind: 'inbound', from: E, to: '20', recordKey: [2, 5, 8] });
    expect(pressed.captures.map((c) => [c.side, c.start, c.end, c.unrecorded])).toEqual([['phone', 3000, 21000, [{ from: 6000, to: 9000 }]]]);
    expect(pressed.captures[0]!.segments.map((s) => [s.from, s.to])).toEqual([[1000, 21000]]);
    expect(pressed.expected.agent).toBe('20');
  });

  it('optional: recording until the key switches it off; transparent: the whole call, keys or not', () => {
    const off = plan({ kind: 'inbound', from: E, to: '21', recordKey: [6] });
    expect(off.captures.map((c) => [c.start, c.end, c.unrecorded])).toEqual([[1000, 7000, undefined]]);
    const whole = plan({ kind: 'inbound', from: E, to: '21' });
    expect(whole.captures.map((c) => [c.start, c.end])).toEqual([[1000, 21000]]);
    // An internal call between a manual and a transparent phone: the key switches the manual one only.
    const both = plan({ kind: 'internal', from: '22', to: '20', recordKey: [10] });
    expect(both.captures.map((c) => [c.fileName.split('-')[1], c.start, c.end])).toEqual([
      [expect.any(String), 1000, 21000],
      [expect.any(String), 11000, 21000],
    ]);
  });

  it('a phone writes a file only for the calls it recorded: a consultation while switched off leaves none', () => {
    // 20 (manual) consults 22 from 5 s to 16 s of talk; recording on at 2 s, off at 4 s: the consultation is not recorded.
    const consult = plan({ kind: 'consult', from: E, to: '20', via: '22', secondTalkSeconds: 8, recordKey: [2, 4] });
    const of20 = consult.captures.filter((c) => c.side === 'phone' && c.segments[0]!.internal.number === '20');
    expect(of20.map((c) => [c.start, c.end])).toEqual([[3000, 5000]]);
  });

  it('refuses presses nobody can make: no switchable phone in the call, after the call, too close', () => {
    expect(() => plan({ kind: 'inbound', from: E, to: '25', recordKey: [2] })).toThrow(/calls\[0\]\.recordKey: nobody talking in this call has a phone in manual or optional/);
    expect(() => plan({ kind: 'inbound', from: E, to: '20', recordKey: [25] })).toThrow(/recordKey\[0\]: a press 25 s after the answer comes after the call ended \(20 s after it\)/);
    expect(() => plan({ kind: 'inbound', from: E, to: '20', recordKey: [2, 2.2] })).toThrow(/recordKey\[1\]: must come at least 0.5 s after the press before/);
    expect(() => plan({ kind: 'unanswered', from: E, to: '20', recordKey: [2] })).toThrow(/recordKey: an unanswered call has no conversation/);
  });
});

describe('a phone whose recording function calls the TCR object', () => {
  it('transparent: marks every call as its conversation starts; the gateway still records', () => {
    const call = plan({ kind: 'inbound', from: E, to: '23' });
    expect(call.markedByPhone).toBe(true);
    const marks = call.events.filter((e) => e.type === 'dtmf');
    expect(marks.map((e) => [e.user, e.at, e.peer.number, e.detail])).toEqual([['esposito', 2000, '51', '51']]);
    expect(call.captures.map((c) => c.side)).toEqual(['gateway']);
  });

  it('manual: marks only when the key switches recording on, once per switch-on', () => {
    expect(plan({ kind: 'inbound', from: E, to: '24' }).markedByPhone).toBeUndefined();
    expect(plan({ kind: 'inbound', from: E, to: '24' }).events.some((e) => e.type === 'dtmf')).toBe(false);
    const call = plan({ kind: 'inbound', from: E, to: '24', recordKey: [3, 6, 9] });
    expect(call.markedByPhone).toBe(true);
    expect(call.events.filter((e) => e.type === 'dtmf').map((e) => [e.user, e.at])).toEqual([
      ['romano', 4000],
      ['romano', 10000],
    ]);
  });
});
