// Recording licences end to end: `recorder run` with `[licences] recording = 3` against `recorder pbx`, whose
// recording group has ten members (20…28 and 34, in the PBX's order). The first three hold the licences; a call
// only an unlicensed member would be filed under is not recorded and raises the SOFTWARE alarm; in a call with a
// licensed member too, the unlicensed one counts as a User (the rules file it under the licensed one).
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { ScenarioCall } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import type { FiledEvent } from '../../src/recorder/service/index.js';
import { connectCdrInterface, expectedCaptures, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('recording licences through recorder run', () => {
  it('records the first members of the recording group up to the licences; a call of a member beyond them is not recorded and raises SOFTWARE', { timeout: 90_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-licences-'));
    dirs.push(base);
    const directory = defaultDirectory();
    const plan: ScenarioCall[] = [
      { at: 1, kind: 'inbound', from: E, to: '20' }, // licensed: filed under 20
      { at: 12, kind: 'inbound', from: E, to: '23' }, // 23 is member 4 of 10: not recorded, alarm
      { at: 23, kind: 'attended-transfer', from: E, to: '23', via: '21' }, // 23 counts as a User: filed under 21
      { at: 34, kind: 'inbound', from: E, to: '30' }, // a User: deleted by the rules, no alarm
      { at: 45, kind: 'outbound', from: '22', to: E }, // licensed: filed under 22
    ];
    const calls = plan.map((call) => ({ ...call, ringSeconds: 1, talkSeconds: 4 }));
    const pbx = new EmbeddedPbx({ scenario: { seed: 4, calls }, directory, driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = validateConfig({ ...serviceConfigInput(base, endpoints, { cdrInterface: true }), licences: { recording: 3 } }, 'e2e-config', base);
    const filed: FiledEvent[] = [];
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600, onFiled: (event) => filed.push(event) });
    await service.start();
    connectCdrInterface(pbx, service);
    try {
      await until(() => service.status().licences?.members !== undefined, 20_000, 'the PBX users read out');
      expect(service.status().licences).toEqual({ licences: 3, members: 10, unlicensed: ['23', '24', '25', '26', '27', '28', '34'] });
      expect(service.status().lamps.SOFTWARE).toBe('green');

      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      const expected = expectedCaptures(pbx.calls, directory);
      expect(expected).toHaveLength(5);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 45_000, 'every capture processed');

      const byConf = new Map(filed.map((event) => [event.capture.replace(/\.pcap$/, ''), event]));
      const [toAgent, toUnlicensed, transferred, toUser, outbound] = pbx.calls;
      expect([...byConf.keys()].sort()).toEqual([toAgent!.confId, transferred!.confId, outbound!.confId].sort());
      expect(byConf.get(toAgent!.confId)!.decision.agent).toBe('20');
      expect(byConf.get(transferred!.confId)!.decision).toMatchObject({ agent: '21', rule: 'external-to-user-transfer-to-agent' });
      expect(byConf.get(outbound!.confId)!.decision.agent).toBe('22');

      const journal = (await readJournal(config.storage.journalPath)).items;
      const stateOf = (call: typeof toUser): string | undefined => journal.get(`${call!.confId}.pcap`)?.state;
      expect(stateOf(toUnlicensed)).toBe('discarded');
      expect(stateOf(toUser)).toBe('discarded');
      const status = service.status();
      expect(status.lamps.SOFTWARE).toBe('red');
      expect(status.lastErrors).toEqual([`${toUnlicensed!.confId}.pcap: licence overflow: 23 is member 4 of 10 of the recording group, and there are 3 recording licences`]);
      expect(status.counters).toMatchObject({ filed: 3, discarded: 2, quarantined: 0 });
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });
});
