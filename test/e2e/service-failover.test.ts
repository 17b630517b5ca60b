// The recorder's SOAP link through PBX faults: the SOAP service down and back, a switch from the active PBX to its
// standby, and the active PBX failing whole (its drive too) and coming back. Calls during the fault are recorded
// (their ends are found from the captures), the PBX lamp shows it, and no capture is lost on either PBX's drive.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScenarioCall } from '../../src/embedded/index.js';
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
    await expectAllRecorded(p);
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
    await expectAllRecorded(p);
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
    await expectAllRecorded(p);
  });

  it('the active PBX fails whole with calls in flight (SOAP and drive), the standby takes over, the active comes back: every capture on either drive recorded once', async () => {
    // Long calls, 3 s apart: several are always in flight, so each switch catches some.
    const E = '0070317300912';
    const shapes: Omit<ScenarioCall, 'at'>[] = [
      { kind: 'inbound', from: E, to: '20' },
      { kind: 'outbound', from: '21', to: E },
      { kind: 'inbound', from: E, to: '22' },
      { kind: 'inbound', from: E, to: '30' },
    ];
    const calls = Array.from({ length: 16 }, (_, i) => ({ ...shapes[i % shapes.length]!, at: 1 + i * 3, ringSeconds: 2, talkSeconds: 20 }));
    pair = await startFaultPair({ scenario: { seed: 34, calls }, standby: true, speed: 10 });
    const p = pair;
    const { recDir, standbyRecDir } = p.endpoints;
    expect(standbyRecDir).toBeDefined();
    const seenOnStandby = new Set<string>();
    const sampler = setInterval(() => readdirSync(standbyRecDir!).forEach((name) => seenOnStandby.add(name)), 20);
    try {
      const run = p.pbx.run();
      const simNow = () => p.pbx.clock.now();
      const inFlight = () => p.pbx.calls.filter((call) => call.setupTime <= simNow() && simNow() < call.setupTime + call.endAt).length;
      await until(() => simNow() >= p.pbx.calls[3]!.setupTime + 1000, 20_000, 'the fourth call under way');
      // The active PBX goes down whole: SOAP answers as standby no more, its drive is unreachable.
      const failedWith = inFlight();
      expect(failedWith, 'calls in flight as the active PBX fails').toBeGreaterThanOrEqual(2);
      await setFaults(p.endpoints, { activePbx: 'standby', webdavDown: true });
      await until(() => logged(p.records, 'PBX link up').some((r) => r.pbx === 'standby'), 20_000, 'the link up on the standby PBX');
      // New calls write to the standby's drive, and are taken from there while the active is away.
      await until(() => p.filed.some((event) => seenOnStandby.has(event.capture)), 30_000, 'a recording taken from the standby PBX\'s drive');
      // Meanwhile what the calls in flight wrote to the failed PBX's drive waits there, unreachable.
      const stranded = readdirSync(recDir);
      expect(stranded.length, 'captures waiting on the failed PBX\'s drive').toBeGreaterThan(0);
      expect(p.filed.some((event) => stranded.includes(event.capture))).toBe(false);
      // The drive of the PBX worked with answers: no PCAP alarm for the failed one's.
      await until(() => p.lamps.now('PCAP') === 'green', 10_000, 'PCAP green on the standby drive');
      expect(logged(p.records, "the active PBX's drive is not reachable: captures written there are taken when it answers again").length).toBeGreaterThan(0);

      // The active PBX is back (drive and all) and takes over again; the standby's calls in flight stay on its drive.
      const backWith = inFlight();
      await setFaults(p.endpoints, { activePbx: 'primary', webdavDown: false });
      await until(() => logged(p.records, 'PBX link up').filter((r) => r.pbx === 'active').length >= 2, 20_000, 'the link back on the active PBX');
      expect((await run).failures).toEqual([]);
      await p.drained(30_000);
      const filedNames = new Set(p.filed.map((event) => event.capture));
      const strandedAgents = stranded.filter((name) => p.expected().some((e) => e.agent !== null && e.capture.fileName === name));
      for (const name of strandedAgents) expect(filedNames.has(name), `${name} from the failed PBX's drive`).toBe(true);
      const fromStandby = [...seenOnStandby].filter((name) => filedNames.has(name));
      console.log(`failover: ${failedWith} calls in flight as the active failed, ${backWith} as it came back; ${stranded.length} captures waited on its drive, ${fromStandby.length} recordings came from the standby's drive`);
      await expectAllRecorded(p);
    } finally {
      clearInterval(sampler);
    }
  });
});
