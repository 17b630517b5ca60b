// Random recording end to end: `recorder run` (its own process) in mode "random" against `recorder pbx`, killed
// with SIGKILL in the middle of the run and started again. Exactly the calls the x-of-y rule keeps are filed, all
// other calls to be recorded are discarded, calls of users outside the recording group are not counted, and no
// call is counted twice across the kill.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { Scenario } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RANDOM_SAMPLING_FILE, readJournal } from '../../src/recorder/service/index.js';
import type { ReconcileReport } from '../../src/recorder/reconcile/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { RecorderProcess, cdrInterfaceOnPort, expectedCaptures, freePort, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const FINISHED = ['source-deleted', 'discarded', 'quarantined'];

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The x-of-y rule over calls in the order they were counted: which are kept. */
function modelKeeps(agents: readonly string[], systemEvery: number, agentEvery: number): boolean[] {
  const perAgent = new Map<string, number>();
  return agents.map((agent, index) => {
    if (index % systemEvery !== 0) return false;
    const count = (perAgent.get(agent) ?? 0) + 1;
    perAgent.set(agent, count);
    return (count - 1) % agentEvery === 0;
  });
}

describe('random recording through recorder run', () => {
  it('files exactly the calls every 3rd of the system and every 2nd of an agent keep, across a kill -9 and a restart', { timeout: 150_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-random-'));
    dirs.push(base);
    const directory = defaultDirectory();
    // Agents 20, 21, 22 and the User 30 (not in the recording group: never counted), one call at a time.
    const called = ['20', '21', '30', '20', '22', '21', '20', '30', '21', '20', '22', '20', '21', '20', '22', '21'];
    const scenario: Scenario = { seed: 3, calls: called.map((to, i) => ({ kind: 'inbound', from: E, to, at: 1 + i * 14, ringSeconds: 1, talkSeconds: 4 })) };
    const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'drive'), speed: 10, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const cdrPort = await freePort();
    pbx.addCdrInterface(cdrInterfaceOnPort(cdrPort));
    const common = serviceConfigInput(base, endpoints, { logLevel: 'info', cdrInterface: cdrPort });
    const input = {
      ...common,
      reporting: { ...common.reporting, pbx: directory.pbxName },
      recording: { format: 'wav', encoding: 'pcm16', mode: 'random' },
      random: { systemEvery: 3, agentEvery: 2 },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    const config = validateConfig(input, configPath, base);
    const recorder = new RecorderProcess(configPath, join(base, 'logs'));
    const decided = async (): Promise<number> => [...(await readJournal(config.storage.journalPath)).items.values()].filter((item) => item.state !== 'copied').length;

    recorder.start();
    const run = pbx.run();
    try {
      // Kill once five captures have been decided (the counters are on disk by then), while calls still come.
      await until(async () => (await decided()) >= 5, 90_000, 'five captures decided', 100);
      await recorder.kill('SIGKILL');
      recorder.start();
      const result = await run;
      expect(result.failures).toEqual([]);
      const expected = expectedCaptures(pbx.calls, directory);
      await until(
        async () => {
          if (readdirSync(endpoints.recDir).length > 0) return false;
          const items = [...(await readJournal(config.storage.journalPath)).items.values()];
          return items.length >= expected.length && items.every((item) => FINISHED.includes(item.state));
        },
        90_000,
        'every capture finished',
        200,
      );
      await recorder.kill('SIGTERM');

      // The counters: one entry per call to be recorded (by conference), in the order the service counted them.
      const sampling = JSON.parse(readFileSync(join(dirname(config.storage.journalPath), RANDOM_SAMPLING_FILE), 'utf8')) as {
        systemCalls: number;
        kept: number;
        skipped: number;
        recent: Array<[string, { keep: boolean; systemCall: number }]>;
      };
      const toRecord = expected.filter((e) => e.agent !== null);
      expect(toRecord).toHaveLength(called.filter((n) => n !== '30').length);
      const agentOf = new Map(toRecord.map((e) => [e.call.confId, e.agent!]));
      const counted = sampling.recent.map(([conference]) => conference);
      expect(new Set(counted).size).toBe(counted.length);
      expect([...counted].sort()).toEqual([...agentOf.keys()].sort());
      expect(sampling.systemCalls).toBe(toRecord.length);
      expect(sampling.recent.map(([, verdict]) => verdict.systemCall)).toEqual(counted.map((_, i) => i + 1));
      const keeps = modelKeeps(counted.map((conference) => agentOf.get(conference)!), 3, 2);
      expect(sampling.recent.map(([, verdict]) => verdict.keep)).toEqual(keeps);
      expect(sampling.kept).toBe(keeps.filter(Boolean).length);
      expect(sampling.skipped).toBe(keeps.length - sampling.kept);

      // The store holds exactly the kept calls; the journal discarded the rest (the User's calls by the rules).
      const kept = new Set(counted.filter((_, i) => keeps[i]));
      expect(kept.size).toBeGreaterThanOrEqual(3);
      const store = scanStore(config.storage.root);
      expect([...store.audio.keys()].sort()).toEqual([...kept].sort());
      for (const files of store.audio.values()) expect(files).toHaveLength(1);
      const journal = (await readJournal(config.storage.journalPath)).items;
      for (const e of expected) expect(journal.get(e.capture.fileName)?.state, e.capture.fileName).toBe(kept.has(e.call.confId) ? 'source-deleted' : 'discarded');
      const log = readFileSync(recorder.logPath, 'utf8');
      expect(log).toContain('random recording: counters loaded');
      // Completeness across the kill: every call to be recorded is recorded or skipped by the sampling, by reason.
      const day = new Date().toISOString().slice(0, 10);
      const reconciled = await runInProcess(['reconcile', '-c', configPath, '--from', day, '--to', day, '--settle-minutes', '0', '--json']);
      expect(reconciled.stderr).toBe('');
      const report = JSON.parse(reconciled.stdout) as ReconcileReport;
      expect(Object.fromEntries(report.calls.map((call) => [call.conf, `${call.verdict}${call.cause ? ` (${call.cause})` : ''}`]))).toEqual(
        Object.fromEntries(counted.map((conference) => [conference, kept.has(conference) ? 'recorded' : 'not-recorded (random)'])),
      );
      expect(reconciled.code).toBe(0);
    } finally {
      await recorder.kill('SIGKILL');
      await run.catch(() => undefined);
      await pbx.stop();
    }
  });
});
