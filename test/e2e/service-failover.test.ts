// The recorder's SOAP link through PBX faults: the SOAP service down and back, and a switch from the active PBX to
// its standby. Calls during the fault are recorded (their ends are found from the captures), the PBX lamp shows it.
import { afterEach, describe, expect, it } from 'vitest';
import { expectAllRecorded, logged, plainCalls, startFaultPair } from './helpers/fault-pair.js';
import type { FaultPair } from './helpers/fault-pair.js';
import { setFaults, until } from './helpers/service-harness.js';

let pair: FaultPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});


describe('recorder run through SOAP faults of recorder pbx', () => {
  it('SOAP down and back: PBX red during, calls still recorded (no call end seen), PBX green after', async () => {
    pair = await startFaultPair({ scenario: { seed: 31, calls: plainCalls(6) } });
    const p = pair;
    await setFaults(p.endpoints, { soapDown: true });
    await until(() => p.lamps.now('PBX') === 'red', 10_000, 'PBX red');
    const result = await p.pbx.run();
    expect(result.failures).toEqual([]);
    // Without SOAP the captures are taken once they stop growing, and filed.
    await p.drained(20_000);
    expect(p.lamps.now('PBX')).toBe('red');
    const clearedAt = Date.now();
    await setFaults(p.endpoints, { soapDown: false });
    await until(() => p.lamps.now('PBX') === 'green', 20_000, 'the PBX link back');
    expect(p.lamps.saw('PBX', 'green', clearedAt)).toBe(true);
    expect(logged(p.records, 'PBX link down').length).toBeGreaterThan(0);
    expectAllRecorded(p);
  });

  it('SOAP down for a moment while calls run: calls ending during the outage are recorded after it', async () => {
    pair = await startFaultPair({ scenario: { seed: 32, calls: plainCalls(8, 3) } });
    const p = pair;
    const run = p.pbx.run();
    // Down from the second call's end to the fifth's: some calls end while the link is away.
    await until(() => p.filed.length >= 1, 20_000, 'a first call filed');
    p.pbx.faults.soapDown = true;
    await until(() => p.lamps.now('PBX') === 'red', 10_000, 'PBX red');
    await until(() => p.pbx.clock.now() >= p.pbx.calls[4]!.setupTime + p.pbx.calls[4]!.endAt, 20_000, 'the fifth call over');
    p.pbx.faults.soapDown = false;
    expect((await run).failures).toEqual([]);
    await until(() => p.lamps.now('PBX') === 'green', 20_000, 'the PBX link back');
    await p.drained(20_000);
    expectAllRecorded(p);
  });

  it('active → standby switch: the link moves to the standby PBX (PBX red, then green on standby), no call lost', async () => {
    pair = await startFaultPair({ scenario: { seed: 33, calls: plainCalls(8, 3) }, standby: true });
    const p = pair;
    expect(p.endpoints.standbySoapUrl).toBeDefined();
    expect(logged(p.records, 'PBX link up').map((r) => r.pbx)).toEqual(['active']);
    const run = p.pbx.run();
    await until(() => p.filed.length >= 1, 20_000, 'a first call filed');
    const switchedAt = Date.now();
    expect(await setFaults(p.endpoints, { activePbx: 'standby' })).toMatchObject({ activePbx: 'standby' });
    await until(() => logged(p.records, 'PBX link up').some((r) => r.pbx === 'standby'), 20_000, 'the link up on the standby PBX');
    // The switch-over shows as PBX red (the active refused), then green on the standby. The red may last only a few
    // ms, so it is read from the log, which the service writes as it sets the lamp.
    const downs = logged(p.records, 'PBX link down').filter((r) => (r.time as number) >= switchedAt);
    expect(downs.map((r) => r.pbx)).toContain('active');
    expect(p.lamps.now('PBX')).toBe('green');
    expect((await run).failures).toEqual([]);
    await p.drained(20_000);
    expectAllRecorded(p);
  });
});
