// Completeness reconciliation end to end: the service against the embedded PBX writes each call's outcome to its
// audit trail; `recorder reconcile` asks the reporting for the period's calls and matches every connected call of
// a recorded user to its recording or to that reason. A recording removed behind the service's back (files gone,
// index rebuilt) is found as "missing", by the command (exit 1) and by the service's own periodic run (PCAP red).
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { ScenarioCall } from '../../src/embedded/index.js';
import { configKeyring, validateConfig } from '../../src/platform/config/index.js';
import type { ReconcileReport } from '../../src/recorder/reconcile/index.js';
import { RecorderService, periodReconciler, readStatus } from '../../src/recorder/service/index.js';
import { PlayerServer, defaultAccountsPath } from '../../src/player/index.js';
import { openRecordings } from '../../src/recordings/index.js';
import { launchChromium, logIn } from '../helpers/browser.js';
import { generateKeyFile } from '../../src/platform/crypto/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { connectCdrInterface, expectedCaptures, filesUnder, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The reconciliation table a CLI run gives: conference → verdict (cause), for exact comparison. */
function table(report: ReconcileReport): Record<string, string> {
  return Object.fromEntries(report.calls.map((call) => [call.conf, `${call.verdict}${call.cause ? ` (${call.cause})` : ''}${call.problem ? ' !' : ''}`]));
}

describe('completeness reconciliation', () => {
  it('finds a lost capture, and accounts for a call the rules file under nobody', { timeout: 120_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-reconcile-lost-'));
    dirs.push(base);
    const directory = defaultDirectory();
    const plan: ScenarioCall[] = [
      { at: 1, kind: 'inbound', from: E, to: '21' }, // recorded
      { at: 12, kind: 'inbound', from: E, to: '22', captureLost: true }, // the gateway wrote nothing: a finding
      { at: 23, kind: 'consult', from: E, to: '30', via: '20' }, // a User's call; the agent only consulted
      { at: 40, kind: 'attended-transfer', from: E, to: '20', via: '30' }, // the agent hands the call to a User
    ];
    const pbx = new EmbeddedPbx({ scenario: { seed: 10, calls: plan.map((call) => ({ ...call, ringSeconds: 1, talkSeconds: 4 })) }, directory, driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const common = serviceConfigInput(base, endpoints, { cdrInterface: true });
    const input = { ...common, reporting: { ...common.reporting, pbx: directory.pbxName } };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    const config = validateConfig(input, configPath, base);
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600, captureWaitMs: 1500 });
    await service.start();
    connectCdrInterface(pbx, service);
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      const expected = expectedCaptures(pbx.calls, directory);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0 && service.status().counters.callEndsWithoutCapture >= 1, 45_000, 'every capture processed');
      const day = new Date().toISOString().slice(0, 10);
      const run = await runInProcess(['reconcile', '-c', configPath, '--from', day, '--to', day, '--settle-minutes', '0', '--json']);
      const report = JSON.parse(run.stdout) as ReconcileReport;
      const [recorded, lost, consult, transfer] = pbx.calls;
      const want: Record<string, string> = { [recorded!.confId]: 'recorded', [lost!.confId]: 'no-capture !' };
      // What the rules made of the two hand-overs, as the simulator's own expectation says: filed, or not (rules).
      for (const call of [consult!, transfer!]) {
        const capture = expected.find((e) => e.call.confId === call.confId);
        want[call.confId] = capture === undefined ? 'no-capture' : capture.agent !== null ? 'recorded' : 'not-recorded (rules)';
      }
      expect(table(report)).toEqual(want);
      expect(Object.values(want)).toContain('not-recorded (rules)');
      expect(run.code).toBe(1);
      expect(report.calls.find((call) => call.conf === lost!.confId)!.reason).toMatch(/talked with 0070317300912: the PBX ended the call and no capture reached the drive/);
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });


  it('matches every call of a recorded user to its recording or a logged reason, and finds a recording removed outside policy', { timeout: 180_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-reconcile-'));
    dirs.push(base);
    const directory = defaultDirectory();
    const plan: ScenarioCall[] = [
      { at: 1, kind: 'inbound', from: E, to: '20' }, // recorded under 20
      { at: 12, kind: 'inbound', from: E, to: '23' }, // 23 is beyond the 3 licences: not recorded (licence)
      { at: 23, kind: 'inbound', from: E, to: '30' }, // a User, not in the recording group: not a recorded user's call
      { at: 34, kind: 'outbound', from: '22', to: E }, // recorded under 22
      { at: 45, kind: 'internal', from: '20', to: '21' }, // internal: no gateway capture
      { at: 56, kind: 'unanswered', from: E, to: '21' }, // never connected: nothing to record
    ];
    const calls = plan.map((call) => ({ ...call, ringSeconds: 1, talkSeconds: 4 }));
    const pbx = new EmbeddedPbx({ scenario: { seed: 9, calls }, directory, driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const keyFile = join(base, 'system.key');
    await generateKeyFile(keyFile);
    const common = serviceConfigInput(base, endpoints, { cdrInterface: true });
    const input = {
      ...common,
      reporting: { ...common.reporting, pbx: directory.pbxName },
      licences: { recording: 3 },
      encryption: { enabled: true, keyFiles: [keyFile] },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    const config = validateConfig(input, configPath, base);
    const service = new RecorderService({
      config,
      keyring: (await configKeyring(config))!,
      logger: pino({ level: 'silent' }),
      pollMs: 200,
      longRetryMs: 300,
      endedSettleMs: 150,
      settleMs: 600,
      captureWaitMs: 1500,
      reconcileIntervalMs: 700,
      reconcileSettleMs: 0,
    });
    await service.start();
    connectCdrInterface(pbx, service);
    const day = new Date().toISOString().slice(0, 10);
    const reconcile = async (...extra: string[]): Promise<{ code: number; report: ReconcileReport; stderr: string }> => {
      const result = await runInProcess(['reconcile', '-c', configPath, '--from', day, '--to', day, '--settle-minutes', '0', '--json', ...extra]);
      return { code: result.code, report: JSON.parse(result.stdout || '{}') as ReconcileReport, stderr: result.stderr };
    };
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      const [toAgent, toUnlicensed, toUser, outbound, internal, unanswered] = pbx.calls;
      // Every capture processed and the internal call's missing capture noted (after captureWaitMs).
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0 && service.status().counters.callEndsWithoutCapture >= 1, 45_000, 'every capture processed');

      const first = await reconcile();
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const byConf = new Map(first.report.calls.map((call) => [call.conf, call]));
      // The User's call and the unanswered one are no recorded user's connected calls.
      expect(byConf.has(toUser!.confId)).toBe(false);
      expect(byConf.has(unanswered!.confId)).toBe(false);
      expect(byConf.get(toAgent!.confId)).toMatchObject({ verdict: 'recorded', problem: false, agents: ['20'], external: E });
      expect(byConf.get(toAgent!.confId)!.recordings).toHaveLength(1);
      expect(byConf.get(outbound!.confId)).toMatchObject({ verdict: 'recorded', agents: ['22'] });
      expect(byConf.get(toUnlicensed!.confId)).toMatchObject({ verdict: 'not-recorded', cause: 'licence', problem: false });
      expect(byConf.get(toUnlicensed!.confId)!.reason).toMatch(/licence overflow: 23/);
      expect(byConf.get(internal!.confId)).toMatchObject({ verdict: 'no-capture', problem: false, agents: ['20', '21'], external: null });
      expect(first.report).toMatchObject({ problems: 0, counts: { recorded: 2, 'not-recorded': 1, 'no-capture': 1, unmatched: 0, missing: 0 } });
      // The text form says it is complete.
      const text = await runInProcess(['reconcile', '-c', configPath, '--from', day, '--to', day, '--settle-minutes', '0', '--all']);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('complete: every call of a recorded user has its recording or a logged reason');
      expect(text.stdout).toContain(`${toUnlicensed!.confId} 23 ↔ ${E}: not-recorded (licence)`);
      await until(() => service.status().lamps.PCAP === 'green', 10_000, 'the periodic run found nothing');

      // The same in the web player (as recorder serve starts it): a supervisor runs the completeness report and reads the service's trail.
      const keyring = (await configKeyring(config))!;
      const recordings = await openRecordings(config, keyring);
      const player = new PlayerServer({ recordings, accountsPath: defaultAccountsPath(config.storage.indexPath), port: 0, keyring, serviceTrailPath: config.storage.auditPath, reconcile: periodReconciler(config) });
      const { url } = await player.listen();
      await player.accounts.add({ name: 'sue', password: 'a long enough password', role: 'supervisor', permissions: [] });
      await player.accounts.add({ name: 'ann', password: 'a long enough password', role: 'agent', numbers: ['20'], permissions: [] });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await logIn(page, url, 'sue', 'a long enough password');
        await page.locator('#open-compliance').click();
        await page.locator('#t-trail').selectOption('service');
        await expect.poll(() => page.locator('#trail-body tr td:nth-child(4)').allTextContents()).toContain('call-recorded');
        const actions = await page.locator('#trail-body tr td:nth-child(4)').allTextContents();
        expect(actions.filter((a) => a === 'call-not-recorded')).toHaveLength(2);
        await page.locator('#t-verify').click();
        await expect.poll(() => page.locator('#t-summary').getAttribute('data-verdict')).toBe('intact');
        expect(await page.locator('#t-summary').textContent()).toMatch(/^service-audit\.log: \d+ entries/);
        await page.locator('#compliance [data-pane="completeness"]').click();
        await page.locator('#r-all').check();
        await page.locator('#r-run').click();
        await expect.poll(() => page.locator('#r-summary').getAttribute('data-problems')).toBe('0');
        const rows = await page.locator('#recon-body tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-conf') ?? '', tr.getAttribute('data-verdict') ?? '']));
        expect(new Map(rows as Array<[string, string]>)).toEqual(
          new Map([
            [toAgent!.confId, 'recorded'],
            [toUnlicensed!.confId, 'not-recorded'],
            [outbound!.confId, 'recorded'],
            [internal!.confId, 'no-capture'],
          ]),
        );
        expect(await page.locator('#r-csv').getAttribute('href')).toBe(`/api/reconcile?from=${day}&to=${day}&format=csv`);
        expect(errors).toEqual([]);
        // An agent gets neither the button nor the API.
        const agentPage = await browser.newPage();
        await logIn(agentPage, url, 'ann', 'a long enough password');
        await agentPage.locator('#results-body').waitFor({ state: 'attached' });
        expect(await agentPage.locator('#open-compliance').isHidden()).toBe(true);
        expect(await agentPage.evaluate(async (d) => (await fetch(`/api/reconcile?from=${d}&to=${d}`)).status, day)).toBe(403);
        // The supervisor's report is itself in the player's trail.
        expect(readFileSync(join(config.storage.root, 'TMP', 'player-audit.log'), 'utf8')).toMatch(/"user":"sue","action":"reconcile"/);
      } finally {
        await browser.close();
        await player.close();
        await recordings.close();
      }

      // A recording removed behind the service's back: files deleted, the index rebuilt from the files.
      const removed = byConf.get(outbound!.confId)!.recordings[0]!;
      for (const file of filesUnder(config.storage.root)) if (file.includes(removed.replace(/\.[a-z0-9]+$/, ''))) rmSync(file);
      expect((await runInProcess(['reindex', '-c', configPath])).code).toBe(0);
      const second = await reconcile();
      expect(second.code).toBe(1);
      expect(second.report.problems).toBe(1);
      const missing = second.report.calls.find((call) => call.conf === outbound!.confId)!;
      expect(missing).toMatchObject({ verdict: 'missing', problem: true, recordings: [removed] });
      expect(missing.reason).toMatch(/no longer in the store and whose deletion is not in the audit trail/);
      // The service's own run turns PCAP red with the finding, and the trail keeps each run.
      await until(() => service.status().lamps.PCAP === 'red', 15_000, 'PCAP red after the periodic reconciliation');
      const finding = new RegExp(`reconciliation: 1 call\\(s\\) .*first: ${outbound!.confId}, missing`);
      await until(async () => {
        const reading = await readStatus(config.storage.workDir);
        return reading.kind === 'found' && finding.test(reading.status.reasons.PCAP ?? '');
      }, 15_000, 'the status names the finding');
    } finally {
      await service.stop();
      await pbx.stop();
    }
    // The service's trail: chained and sealed (a checkpoint as it stopped), with each outcome and the runs.
    const verified = await runInProcess(['audit', 'verify', '--service', '-c', configPath]);
    expect(verified.stdout).toMatch(/intact/);
    expect(verified.code).toBe(0);
    const actions = readFileSync(config.storage.auditPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { action: string }).action);
    expect(actions[0]).toBe('service-start');
    expect(actions.filter((a) => a === 'call-recorded')).toHaveLength(2);
    expect(actions.filter((a) => a === 'call-not-recorded')).toHaveLength(2); // the licence overflow and the User's call
    expect(actions).toContain('call-without-capture');
    expect(actions).toContain('reconcile');
    expect(actions.at(-1)).toBe('checkpoint');
  });
});
