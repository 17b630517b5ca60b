// Faults of the reporting and the capture drive while calls go on: nothing is lost, nothing is taken for "no call
// record", the lamps show the fault and clear after it. Faults are switched through the PBX's admin endpoint (and
// once directly on pbx.faults).
import { afterEach, describe, expect, it } from 'vitest';
import { expectAllRecorded, logged, plainCalls, startFaultPair } from './helpers/fault-pair.js';
import type { FaultPair } from './helpers/fault-pair.js';
import { setFaults, until } from './helpers/service-harness.js';

let pair: FaultPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});


describe('recorder run through faults of recorder pbx', () => {
  it('reporting down: captures wait (never taken for "no CDR"), REP red; all filed once it answers, REP green', async () => {
    // Polling only: these captures wait for the reporting (with the CDR interface they would not need it).
    pair = await startFaultPair({ scenario: { seed: 21, calls: plainCalls(6) }, config: { cdrInterface: false } });
    const p = pair;
    expect(await setFaults(p.endpoints, { reportingDown: true })).toMatchObject({ reportingDown: true });
    const result = await p.pbx.run();
    expect(result.failures).toEqual([]);
    const expected = p.expected();
    // Every capture is copied, asked about, and waits.
    await until(() => p.service.status().counters.captured === expected.length && p.lamps.now('REP') === 'red', 20_000, 'every capture copied and REP red');
    await until(() => p.service.status().lamps.REP === 'red' && p.records.filter((r) => r.msg === 'reporting not available; captures wait').length > 0, 5000, 'the outage logged');
    const during = p.service.status();
    expect(during.counters).toMatchObject({ filed: 0, discarded: 0, quarantined: 0 });
    expect(p.onDrive().length).toBe(expected.length); // nothing leaves the drive before it is decided
    const clearedAt = Date.now();
    await setFaults(p.endpoints, { reportingDown: false });
    await p.drained(20_000);
    expect(p.lamps.saw('REP', 'green', clearedAt)).toBe(true);
    expect(p.service.status().lamps).toMatchObject({ PBX: 'green', REP: 'green', PCAP: 'green', DISK: 'green', SOFTWARE: 'green' });
    await expectAllRecorded(p);
  });

  it('reporting down, the recorder a CDR interface of the PBX: every capture is filed from the CDRs posted at the call end, no reporting needed', async () => {
    pair = await startFaultPair({ scenario: { seed: 24, calls: plainCalls(6) } });
    const p = pair;
    await setFaults(p.endpoints, { reportingDown: true });
    const result = await p.pbx.run();
    expect(result.failures).toEqual([]);
    await p.drained(20_000);
    const expected = p.expected();
    expect(p.service.status().counters).toMatchObject({ decidedFromCdrInterface: expected.length, decidedFromReporting: 0, quarantined: 0 });
    expect(p.service.status().lamps.REP).toBe('green');
    await expectAllRecorded(p);
  });

  it('reporting late: CDRs that appear seconds after the call end are found by the retries; no quarantine, REP stays green', async () => {
    // A 2 s (real) delay: after the first asks, well before the fifth and last trial.
    pair = await startFaultPair({ scenario: { seed: 22, calls: plainCalls(6) }, speed: 20, service: { longRetryMs: 1000 }, config: { cdrInterface: false } });
    const p = pair;
    p.pbx.faults.reportingDelayMs = 40_000; // simulated ms: 2 s at speed 20
    const result = await p.pbx.run();
    expect(result.failures).toEqual([]);
    await p.drained(30_000);
    expect(logged(p.records, 'no CDR yet; asking again later').length).toBeGreaterThan(0);
    expect(p.lamps.saw('REP', 'red')).toBe(false);
    // Filed only once the CDR was there: at least the delay after the SOAP call end.
    for (const event of p.filed) expect(event.latencyMs, event.capture).toBeGreaterThanOrEqual(1500);
    expect(p.service.status().lamps).toMatchObject({ PBX: 'green', REP: 'green', PCAP: 'green', DISK: 'green', SOFTWARE: 'green' });
    await expectAllRecorded(p);
  });

  it('WebDAV down and back: captures stay on the drive, PCAP red; all taken off and filed after it, PCAP green', async () => {
    pair = await startFaultPair({ scenario: { seed: 23, calls: plainCalls(6) } });
    const p = pair;
    await setFaults(p.endpoints, { webdavDown: true });
    await until(() => p.lamps.now('PCAP') === 'red', 10_000, 'PCAP red');
    const result = await p.pbx.run();
    expect(result.failures).toEqual([]);
    const expected = p.expected();
    // The calls ended (SOAP saw them) while the drive was away: nothing could be copied.
    await until(() => logged(p.records, 'capture drive not reachable').length > 0, 5000, 'the outage logged');
    expect(p.onDrive().length).toBe(expected.length);
    expect(p.service.status().counters).toMatchObject({ captured: 0, filed: 0 });
    expect(p.lamps.now('PCAP')).toBe('red');
    const clearedAt = Date.now();
    await setFaults(p.endpoints, { webdavDown: false });
    await p.drained(20_000);
    expect(p.lamps.saw('PCAP', 'green', clearedAt)).toBe(true);
    expect(p.service.status().lamps).toMatchObject({ PBX: 'green', REP: 'green', PCAP: 'green', DISK: 'green', SOFTWARE: 'green' });
    await expectAllRecorded(p);
  });
});
