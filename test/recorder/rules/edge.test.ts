import { describe, expect, it } from 'vitest';
import { CAPTURE_EXTENSIONS } from '../../../src/domain/index.js';
import { isCaptureName } from '../../../src/recorder/ingest/index.js';
import type { PlannedCall, ScenarioCall } from '../../../src/embedded/model.js';
import { phoneId, planCalls } from '../../../src/embedded/plan/index.js';
import { cdrsFor } from '../../../src/embedded/reporting/index.js';
import { parseCdrXml } from '../../../src/recorder/pbx/index.js';
import type { Cdr } from '../../../src/recorder/pbx/index.js';
import {
  CaptureNameError,
  CdrConfMismatchError,
  NoCdrError,
  confIdOfCapture,
  decideRecording,
  isAgentCdr,
  parseCaptureName,
} from '../../../src/recorder/rules/index.js';
import { E, START, directory, planOne as planOneCall, recorderCdrs } from './cases.js';

const ID = '9ce01d5b1ee56701e054009033300cdb';
const userNamed = (number: string) => directory.users.find((u) => u.number === number)!;

const planOne = (call: Omit<ScenarioCall, 'at'>): PlannedCall => planOneCall(call, 3);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('capture names', () => {
  it('parses both styles; the conf id comes back in lower case', () => {
    expect(confIdOfCapture(`${ID}.pcap`)).toBe(ID);
    expect(confIdOfCapture(`${ID}-0090333f1a2b-17.pcap`)).toBe(ID);
    expect(confIdOfCapture(`${ID.toUpperCase()}.PCAP`)).toBe(ID);
    expect(parseCaptureName(`${ID}-0090331E7B35-3.pcap`)).toEqual({ confId: ID, device: '0090331e7b35', counter: 3 });
    expect(parseCaptureName(`${ID}.pcap`)).toEqual({ confId: ID });
  });

  it('takes every ending the drive takes: a pcapng the drive copies is correlated, not quarantined for its name', () => {
    for (const ending of CAPTURE_EXTENSIONS) {
      for (const name of [`${ID}${ending}`, `${ID}-0090331e7b35-3${ending.toUpperCase()}`]) {
        expect(isCaptureName(name), name).toBe(true);
        expect(confIdOfCapture(name), name).toBe(ID);
      }
    }
    expect(isCaptureName(`${ID}.pcap.part`)).toBe(false);
    expect(confIdOfCapture(`${ID}.pcap.part`)).toBeUndefined();
  });

  it('anything else is no capture name', () => {
    for (const name of [
      '',
      '.pcap',
      `${ID}`,
      `${ID}.wav`,
      `${ID}.pcap.part`,
      `REC/${ID}.pcap`,
      `${ID.slice(1)}.pcap`,
      `${ID}0.pcap`,
      `${ID}-0090333f1a2b.pcap`,
      `${ID}--1.pcap`,
      `${ID}-0090333f1a2b-x.pcap`,
      `${ID}-0090333f1a2b-1-2.pcap`,
      `${ID}-dev ice-1.pcap`,
      `${'g'.repeat(32)}.pcap`,
    ]) {
      expect(confIdOfCapture(name), name).toBeUndefined();
    }
    const error = thrown(() => decideRecording({ captureName: 'notes.txt', cdrs: [] }));
    expect(error).toBeInstanceOf(CaptureNameError);
    expect((error as CaptureNameError).message).toContain('"notes.txt"');
  });
});

describe('what the engine refuses to decide', () => {
  it('no CDR at all (the only user has no reporting licence): NoCdrError, to retry and finally delete', () => {
    const call = planOne({ kind: 'inbound', from: E, to: '34' });
    expect(call.captures.map((c) => c.side)).toEqual(['gateway']);
    expect(call.expected.agent).toBeNull();
    const cdrs = recorderCdrs(call);
    expect(cdrs).toEqual([]);
    const error = thrown(() => decideRecording({ captureName: call.captures[0]!.fileName, cdrs }));
    expect(error).toBeInstanceOf(NoCdrError);
    expect(error).toMatchObject({ confId: call.confId, captureName: `${call.confId}.pcap` });
    expect((error as Error).message).toMatch(/no CDR for conference .* reporting licence/);
  });

  it('CDRs of another conference: CdrConfMismatchError naming both', () => {
    const [a, b] = planCalls(directory, { seed: 3, calls: [{ at: 0, kind: 'inbound', from: E, to: '20' }, { at: 60, kind: 'outbound', from: '21', to: E }] }, START);
    const error = thrown(() => decideRecording({ captureName: `${a!.confId}.pcap`, cdrs: [...recorderCdrs(a!), ...recorderCdrs(b!)] }));
    expect(error).toBeInstanceOf(CdrConfMismatchError);
    expect(error).toMatchObject({ confId: a!.confId, foreignConfIds: [b!.confId] });
    expect((error as Error).message).toContain(b!.confId);
  });
});

describe('Agents and the recording group', () => {
  const call = planOne({ kind: 'inbound', from: E, to: '20' });
  const [cdr] = recorderCdrs(call) as [Cdr];

  it('isAgentCdr: an active member of the recording group (name case-insensitive)', () => {
    expect(isAgentCdr(cdr, 'Recording')).toBe(true);
    expect(isAgentCdr(cdr, 'recording')).toBe(true);
    expect(isAgentCdr(cdr, 'hotline')).toBe(true);
    expect(isAgentCdr(cdr, 'Aufnahme')).toBe(false);
    expect(isAgentCdr({ ...cdr, groups: [{ name: 'Recording', active: false }] }, 'Recording')).toBe(false);
    const user = recorderCdrs(planOne({ kind: 'inbound', from: E, to: '30' }))[0]!;
    expect(isAgentCdr(user, 'Recording')).toBe(false);
  });

  it('uses the configured group name', () => {
    const cdrs = recorderCdrs(call, directory, 'Aufnahme');
    expect(decideRecording({ captureName: `${call.confId}.pcap`, cdrs })).toMatchObject({ action: 'delete', agent: null });
    expect(decideRecording({ captureName: `${call.confId}.pcap`, cdrs, recordingGroup: 'aufnahme' })).toMatchObject({ action: 'file', agent: '20' });
  });
});

describe('name data', () => {
  it('carries the TAN of the CDRs', () => {
    const call = planOne({ kind: 'outbound', from: '22', to: E, talkSeconds: 30, tan: '123456' });
    const decision = decideRecording({ captureName: `${call.confId}.pcap`, cdrs: recorderCdrs(call), tanPrefix: '50' });
    expect(decision).toMatchObject({ action: 'file', agent: '22', external: E, direction: 'o', tan: '123456', rule: 'agent-to-external' });
  });

  it('TAN and TCR keying do not change the external party (the longest number) nor the agent', () => {
    const call = planOne({ kind: 'inbound', from: E, to: '30', talkSeconds: 30, tan: '654321', tcr: 'after' });
    expect(decideRecording({ captureName: `${call.confId}.pcap`, cdrs: recorderCdrs(call), tanPrefix: '50' })).toMatchObject({ action: 'delete', external: E, tan: '654321' });
    // Without the TAN prefix configured, digits dialled during the call are no TAN.
    expect(decideRecording({ captureName: `${call.confId}.pcap`, cdrs: recorderCdrs(call) }).tan).toBeUndefined();
  });

  it('the PBX clock skew moves the start, not the decision', () => {
    const call = planOne({ kind: 'pickup', from: E, to: '20', via: '21', ringSeconds: 5 });
    const skewed = cdrsFor(call, directory, { clockSkewMs: 7000, localOffsetMinutes: 120 });
    const decision = decideRecording({ captureName: `${call.confId}.pcap`, cdrs: skewed });
    expect(decision).toMatchObject({ agent: '20', start: START + 7000, secondsToAnswer: 5, rule: 'pickup-agentB-of-agentA-call' });
  });

  it('a real PBX CDR with messages it does not know', () => {
    const xml =
      `<cdr guid="e78cb2b8e909d31188ce0090330602e8" sys="PBX" pbx="." node="root" device="0090330602e8" cn="A" e164="100" h323="a" dir="from" utc="1272551262" local="1272558462">\n` +
      `  <user/>\n  <event msg="setup-from" time="0" type="ext" e164="0049703173009" conf="${ID}"/>\n` +
      '  <event msg="info-from" time="1" e164="1"/>\n  <event msg="alert-to" time="1" type="ext" e164="0049703173009"/>\n' +
      '  <event msg="conn-to" time="6" type="ext" e164="0049703173009"/>\n  <event msg="rel-from" time="40" type="ext" e164="0049703173009" cause="16"/>\n' +
      '  <group name="Recording" active="true"/>\n</cdr>';
    const decision = decideRecording({ captureName: `${ID}.pcap`, cdrs: parseCdrXml(xml, 'real') });
    expect(decision).toMatchObject({ action: 'file', agent: '100', agentName: 'A', external: '0049703173009', direction: 'o', secondsToAnswer: 6, start: 1272551262000 });
  });
});

describe('v11 names and phone captures', () => {
  it('a v11 gateway name is decided like the v10 one (listed gateway, or a device no CDR names)', () => {
    const call = planOne({ kind: 'cfnr', from: E, to: '20' });
    const cdrs = recorderCdrs(call);
    const v10 = decideRecording({ captureName: `${call.confId}.pcap`, cdrs });
    const v11 = `${call.confId}-${directory.gatewaySerial}-7.pcap`;
    expect(v10).toMatchObject({ agent: '20', rule: 'cfnr-agentA-to-agentB' });
    expect(decideRecording({ captureName: v11, cdrs, gatewayIds: [directory.gatewaySerial.toUpperCase()] })).toEqual(v10);
    expect(decideRecording({ captureName: v11, cdrs })).toEqual(v10);
  });

  it('with the gateways listed, a device no CDR names is the phone of an unlicensed user: deleted', () => {
    const call = planOne({ kind: 'inbound', from: E, to: '20' });
    const decision = decideRecording({ captureName: `${call.confId}-009033abcdef-1.pcap`, cdrs: recorderCdrs(call), gatewayIds: [directory.gatewaySerial] });
    expect(decision).toMatchObject({ action: 'delete', agent: null, rule: 'phone-of-user' });
    expect(decision.reason).toContain('009033abcdef');
  });

  it("the unlicensed user's own phone capture is deleted, the Agent's filed", () => {
    const call = planOne({ kind: 'blind-transfer', from: E, to: '34', via: '20', captureSide: 'phone' });
    const cdrs = recorderCdrs(call);
    const trainee = phoneId(userNamed('34'));
    const agent = phoneId(userNamed('20'));
    const traineeFile = call.captures.find((c) => c.fileName.includes(trainee))!;
    const agentFile = call.captures.find((c) => c.fileName.includes(agent))!;
    expect(decideRecording({ captureName: traineeFile.fileName, cdrs, gatewayIds: [directory.gatewaySerial] })).toMatchObject({ action: 'delete', rule: 'phone-of-user' });
    expect(decideRecording({ captureName: agentFile.fileName, cdrs, gatewayIds: [directory.gatewaySerial] })).toMatchObject({
      action: 'file',
      agent: '20',
      agentName: 'Mario Rossi',
      external: E,
      rule: 'phone-of-agent',
    });
    expect(call.expected.agent).toBe('20');
  });

  it('a phone capture follows its own user, not the call-level rule: the consulted Agent files its own part', () => {
    // External → 20 (Agent), 20 consults 27 (Agent recording on its phone). Gateway file: 20; 27's phone file (20 ↔ 27): 27.
    const call = planOne({ kind: 'consult', from: E, to: '20', via: '27' });
    const cdrs = recorderCdrs(call);
    const gateway = call.captures.find((c) => c.side === 'gateway')!;
    const phone = call.captures.find((c) => c.side === 'phone')!;
    expect(decideRecording({ captureName: gateway.fileName, cdrs })).toMatchObject({ agent: '20', external: E, rule: 'external-to-agent-consult' });
    expect(decideRecording({ captureName: phone.fileName, cdrs })).toMatchObject({ agent: '27', external: '20', rule: 'phone-of-agent', direction: 'i' });
    expect(call.expected.agent).toBe('20');
  });
});
