// A phone capture of a user without a reporting licence (no CDR names the phone) on a call forwarded on no answer
// from an Agent: the adversarial run saw it filed under the Agent as a "gateway capture". The PBX's own gateway is
// known (its serial number, learnt over SOAP), so an unknown device is a phone, and this one's user is no Agent.
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { Scenario } from '../../src/embedded/index.js';
import type { RecordingDecision } from '../../src/rules/index.js';
import { RecorderService } from '../../src/service/index.js';
import type { FiledEvent } from '../../src/service/index.js';
import { readJournal } from '../../src/store/index.js';
import { expectedCaptures, serviceConfig, until } from '../e2e/helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('adversarial: rules', () => {
  it('CFNR from Agent 27 to the unlicensed trainee, recorded by the trainee\'s phone: deleted, not filed under 27', async () => {
    const base = await mkdtemp(join(tmpdir(), 'rules-unlicensed-'));
    dirs.push(base);
    const directory = defaultDirectory();
    const scenario: Scenario = { seed: 5, calls: [{ at: 1, kind: 'cfnr', from: '0301234567', to: '27', via: '34', captureSide: 'phone' }] };
    const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'drive'), speed: 30, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = serviceConfig(base, endpoints);
    const filed: FiledEvent[] = [];
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600, onFiled: (event) => filed.push(event) });
    await service.start();
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      const expected = expectedCaptures(pbx.calls, directory);
      // The simulator's truth: one capture, the trainee's phone's, and no Agent for it.
      expect(expected.map((e) => [e.capture.side, e.agent, e.noCdr])).toEqual([['phone', null, false]]);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 45_000, 'the capture processed');
      await service.stop();
      const item = (await readJournal(config.storage.journalPath)).items.get(expected[0]!.capture.fileName);
      expect(item?.state).toBe('discarded');
      const decision = item!.data.decision as unknown as RecordingDecision;
      expect(decision).toMatchObject({ action: 'delete', agent: null, rule: 'phone-of-user' });
      expect(decision.reason).toMatch(/Phone capture of device \w+: no CDR of the call names this device/);
      expect(filed).toEqual([]);
    } finally {
      await service.stop().catch(() => undefined);
      await pbx.stop();
    }
  });
});
