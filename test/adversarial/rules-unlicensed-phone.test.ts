// A phone capture of a user without a reporting licence (no CDR names the phone) on a call forwarded on no answer
// from an Agent: the adversarial run saw it filed under the Agent as a "gateway capture". The PBX's own gateway is
// known (its serial number, learnt over SOAP), so an unknown device is a phone, and this one's user is no Agent.
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordingDecision } from '../../src/recorder/rules/index.js';
import { readJournal } from '../../src/recorder/service/index.js';
import { startFaultPair } from '../e2e/helpers/fault-pair.js';
import type { FaultPair } from '../e2e/helpers/fault-pair.js';

let pair: FaultPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('adversarial: rules', () => {
  it('CFNR from Agent 27 to the unlicensed trainee, recorded by the trainee\'s phone: deleted, not filed under 27', async () => {
    pair = await startFaultPair({ scenario: { seed: 5, calls: [{ at: 1, kind: 'cfnr', from: '0301234567', to: '27', via: '34', captureSide: 'phone' }] } });
    const p = pair;
    const result = await p.pbx.run();
    expect(result.failures).toEqual([]);
    // The simulator's truth: one capture, the trainee's phone's, and no Agent for it.
    const expected = p.expected();
    expect(expected.map((e) => [e.capture.side, e.agent, e.noCdr])).toEqual([['phone', null, false]]);
    await p.drained(45_000);
    await p.service.stop();
    const item = (await readJournal(p.config.storage.journalPath)).items.get(expected[0]!.capture.fileName);
    expect(item?.state).toBe('discarded');
    const decision = item!.data.decision as unknown as RecordingDecision;
    expect(decision).toMatchObject({ action: 'delete', agent: null, rule: 'phone-of-user' });
    expect(decision.reason).toMatch(/Phone capture of device \w+: no CDR of the call names this device/);
    expect(p.filed).toEqual([]);
  });
});
