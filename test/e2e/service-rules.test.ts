// Every agent rule of the reference, as a scripted call through `recorder pbx` and `recorder run`: each capture must
// end filed under the expected agent, or discarded, and quarantined only when its call has no CDR at all.
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { Scenario } from '../../src/embedded/index.js';
import type { RecordingDecision } from '../../src/recorder/rules/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import type { FiledEvent } from '../../src/recorder/service/index.js';
import { parseRecordingName } from '../../src/recordings/index.js';
import { readJournal } from '../../src/recorder/service/index.js';
import { E, derivedCases, referenceCases } from '../recorder/rules/cases.js';
import type { RuleCase } from '../recorder/rules/cases.js';
import { auditStore, connectCdrInterface, expectedCaptures, serviceConfig, until } from './helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A waiting-queue call reaches the member like a direct call (the CDRs show no queue): the engine names the direct rule. */
function ruleSeenInCdrs(rule: string): string {
  if (rule === 'queue-ivr-agent-answers') return 'external-to-agent';
  if (rule === 'queue-ivr-user-answers') return 'external-to-user';
  return rule;
}

describe('agent rules end to end', () => {
  it('files each rule scenario’s captures under the expected agent (or discards them) through recorder run, from the CDRs the PBX posts to its CDR interface', async () => {
    await runRuleCases('cdr-interface');
  });

  it('does so from the Report XML of the reporting alone (no CDR interface): phone captures wait (records name no device), never filed under a guess', async () => {
    await runRuleCases('reporting');
  });
});

async function runRuleCases(via: 'cdr-interface' | 'reporting'): Promise<void> {
  {
    const base = await mkdtemp(join(tmpdir(), 'service-rules-'));
    dirs.push(base);
    const directory = defaultDirectory();
    // Plus a call of the trainee (34: recording on, no reporting licence): no CDR at all, so quarantined.
    const noLicence: RuleCase = { title: 'External call to a user without reporting licence', call: { kind: 'inbound', from: E, to: '34' }, rule: 'external-to-user', agent: null };
    const cases = [...referenceCases, ...derivedCases, noLicence];
    // Calls 9 simulated seconds apart: they overlap, as on a real PBX, each with its own conference.
    const scenario: Scenario = { seed: 11, calls: cases.map((c, i) => ({ ...c.call, at: 1 + i * 9 })) };
    const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'drive'), speed: 30, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = serviceConfig(base, endpoints, { cdrInterface: via === 'cdr-interface', trials: 5, firstRetrySeconds: [1, 1] });
    const filed: FiledEvent[] = [];
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600, onFiled: (event) => filed.push(event) });
    await service.start();
    if (via === 'cdr-interface') connectCdrInterface(pbx, service);
    let stopped = false;
    try {
      // The planner must have made each case the rule it stands for.
      expect(pbx.calls.map((call) => call.expected.rule).slice(0, -1)).toEqual(cases.map((c) => c.rule).slice(0, -1));
      expect(pbx.calls.map((call) => call.expected.agent)).toEqual(cases.map((c) => c.agent));

      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      const expected = expectedCaptures(pbx.calls, directory);
      expect(expected.length).toBeGreaterThan(cases.length - 5);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 45_000, 'every capture processed');

      const status = service.status();
      const quarantined = await service.recordings!.listQuarantine();
      // Report XML names no device: a phone's capture of a call with several Agents cannot be told apart and waits
      // (then quarantined). Through the CDR interface the device is known and none waits.
      const waited = new Set(quarantined.filter((entry) => /which of the Agents/.test(entry.reason)).map((entry) => entry.name.replace(/^.*?([0-9a-f]{32}(?:-[0-9a-z]+-\d+)?\.pcap)$/, '$1')));
      if (via === 'cdr-interface') expect([...waited]).toEqual([]);
      const considered = expected.filter((e) => !waited.has(e.capture.fileName));
      for (const name of waited) expect(expected.find((e) => e.capture.fileName === name)?.capture.side, name).toBe('phone');
      const toFile = considered.filter((e) => e.agent !== null);
      const noCdr = considered.filter((e) => e.noCdr);
      expect(noCdr.map((e) => e.call.scenario.to)).toEqual(['34']);
      expect(status.counters.captured).toBe(expected.length);
      expect(status.counters.filed).toBe(toFile.length);
      expect(status.counters.quarantined).toBe(noCdr.length + waited.size);
      expect(quarantined.filter((entry) => !/which of the Agents/.test(entry.reason)).map((entry) => entry.reason)).toEqual(noCdr.map(() => expect.stringMatching(/no call record/)));
      expect(status.counters.discarded).toBe(considered.length - toFile.length - noCdr.length);
      expect(status.lamps).toMatchObject({ PBX: 'green', REP: 'green', PCAP: 'green', DISK: 'green', SOFTWARE: 'green' });
      if (via === 'cdr-interface') {
        // Every capture with a CDR was decided from the posted CDRs; only the unlicensed user's call asked the reporting.
        expect(status.counters.decidedFromCdrInterface).toBe(considered.length - noCdr.length);
        expect(status.cdrInterface).toMatchObject({ refused: 0 });
        expect(status.cdrInterface!.received).toBeGreaterThan(0);
      } else {
        expect(status.counters.decidedFromCdrInterface).toBe(0);
      }
      console.log(`rules end to end via ${via}: ${expected.length} captures, ${toFile.length} filed, ${status.counters.discarded} discarded, ${noCdr.length} without CDR, ${waited.size} phone captures waited for a device`);

      // Every capture's end state and decision, from the service's journal.
      await service.stop();
      stopped = true;
      const journal = (await readJournal(config.storage.journalPath)).items;
      const byCapture = new Map(filed.map((event) => [event.capture, event]));
      const caseOf = new Map(pbx.calls.map((call, i) => [call.confId, cases[i]!]));
      for (const e of considered) {
        const where = `${caseOf.get(e.call.confId)!.title} — ${e.capture.fileName} (${e.capture.side})`;
        const item = journal.get(e.capture.fileName);
        expect(item?.state, where).toBe(e.noCdr ? 'quarantined' : e.agent !== null ? 'source-deleted' : 'discarded');
        if (e.noCdr) {
          expect(item!.data.reason, where).toMatch(/no call record/);
          continue;
        }
        const decision = item!.data.decision as unknown as RecordingDecision;
        expect(decision.agent, where).toBe(e.agent);
        if (e.capture.side === 'gateway') expect(decision.rule, where).toBe(ruleSeenInCdrs(e.call.expected.rule));
        if (e.agent === null) {
          expect(byCapture.has(e.capture.fileName), where).toBe(false);
          continue;
        }
        const event = byCapture.get(e.capture.fileName);
        expect(event, where).toBeDefined();
        const name = parseRecordingName(`${event!.recording.name}.wav`);
        expect(name.internal, where).toBe(e.agent);
        if (e.capture.side === 'gateway') expect(name.external, where).toBe(e.call.expected.external);
      }
      // The store holds each recording once, whole (not cut short), with its sidecar, and nothing temporary.
      expect(await auditStore(config.storage.root, considered)).toMatchObject({ filed: toFile.length, lost: [], duplicated: [], unexpected: [], corrupt: [], truncated: [], withoutSidecar: [], strays: [] });
      expect(filed.length).toBe(toFile.length);
      expect(new Set(filed.map((event) => event.recording.name)).size).toBe(toFile.length);
    } finally {
      if (!stopped) await service.stop();
      await pbx.stop();
    }
  }
}
