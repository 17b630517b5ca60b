// Thread-call recording end to end: `recorder run` in mode "tcr" against `recorder pbx`. Only marked calls are
// kept: marked during the call (the phone's record key calls the TCR object), or after it by calling the TCR
// object within the window, which keeps the agent's last call. Checked in one process, and with the recorder
// killed with SIGKILL during the window and started again (marks made while it was down reach it as the PBX posts
// the marking calls' CDRs once it is back).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { PlannedCall, ScenarioCall } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import type { ReconcileReport } from '../../src/recorder/reconcile/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { RecorderProcess, cdrInterfaceOnPort, connectCdrInterface, freePort, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
// Real seconds for marks seen on the SOAP link, PBX seconds for marks read from records: at speed 20 the PBX's
// clock runs ahead, so the calls' gaps are chosen to fall on the same side of the window on both clocks.
const WINDOW_SECONDS = 15;
const SPEED = 20;
const FINISHED = ['source-deleted', 'discarded', 'quarantined'];
const dirs: string[] = [];
afterAll(async () => {
  if (process.env.KEEP_TEST_FILES) console.log(`kept: ${dirs.join(' ')}`);
  else for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The calls and which of them are kept. Simulated seconds; the window is real seconds (×20 at this speed). */
const CALLS: ReadonlyArray<{ call: Omit<ScenarioCall, 'at'>; kept: boolean; why: string }> = [
  { call: { kind: 'inbound', from: E, to: '20', talkSeconds: 8, tcr: 'during' }, kept: true, why: 'marked during the call' },
  { call: { kind: 'inbound', from: E, to: '21', tcr: 'after', tcrAfterSeconds: 3 }, kept: true, why: 'marked after it, in the window' },
  { call: { kind: 'inbound', from: E, to: '22' }, kept: false, why: 'never marked' },
  { call: { kind: 'inbound', from: E, to: '23', tcr: 'after', tcrAfterSeconds: 400 }, kept: false, why: 'marked 20 s after it: outside the window' },
  { call: { kind: 'inbound', from: E, to: '24' }, kept: false, why: 'not the last call when its agent marked' },
  { call: { kind: 'outbound', from: '24', to: E, tcr: 'after', tcrAfterSeconds: 3 }, kept: true, why: 'the last call of its agent when marked' },
];

function scenarioCalls(): ScenarioCall[] {
  // 20 s apart; the last call 8 s after the one before (the same agent's: both end inside the mark's window).
  return CALLS.map(({ call }, i) => ({ ringSeconds: 1, talkSeconds: 4, ...call, at: i === CALLS.length - 1 ? 1 + (i - 1) * 20 + 8 : 1 + i * 20 }));
}

function tcrConfig(base: string, endpoints: Awaited<ReturnType<EmbeddedPbx['start']>>, cdrPort: number | true) {
  const common = serviceConfigInput(base, endpoints, { cdrInterface: cdrPort, logLevel: 'info' });
  return {
    ...common,
    reporting: { ...common.reporting, pbx: defaultDirectory().pbxName },
    recording: { format: 'wav', encoding: 'pcm16', mode: 'tcr' },
    tcr: { number: endpoints.tcrNumber!, markWindowSeconds: WINDOW_SECONDS },
  };
}

function expectKeptExactly(root: string, calls: readonly PlannedCall[]): void {
  const filed = [...scanStore(root).audio.keys()].sort();
  const want = calls.filter((_, i) => CALLS[i]!.kept).map((call) => call.confId).sort();
  expect(filed, CALLS.map((c, i) => `${calls[i]!.confId}: ${c.why}`).join('\n')).toEqual(want);
}

/** The embedded PBX with the calls above, its drive in a fresh folder. */
async function startPbx(prefix: string): Promise<{ base: string; pbx: EmbeddedPbx; endpoints: Awaited<ReturnType<EmbeddedPbx['start']>> }> {
  const base = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(base);
  const pbx = new EmbeddedPbx({ scenario: { seed: 6, calls: scenarioCalls() }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: SPEED, captureFlushMs: 50 });
  return { base, pbx, endpoints: await pbx.start() };
}

describe('thread-call recording through recorder run', () => {
  it('keeps exactly the calls marked in time: during, after in the window, the last call only', { timeout: 120_000 }, async () => {
    const { base, pbx, endpoints } = await startPbx('service-tcr-');
    expect(endpoints.tcrNumber).toBeDefined();
    const config = validateConfig(tcrConfig(base, endpoints, true), 'e2e-config', base);
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
    await service.start();
    connectCdrInterface(pbx, service);
    try {
      const run = pbx.run();
      await until(() => (service.status().threadCall?.waiting ?? 0) > 0, 30_000, 'a call waiting for its mark');
      const result = await run;
      expect(result.failures).toEqual([]);
      await until(() => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 60_000, 'every capture decided');
      // The late mark (outside its window) keeps nothing, so nothing above waits for it: its record may come last.
      await until(() => (service.status().threadCall?.marks ?? 0) >= 3, 30_000, 'the third mark (the late one) read');
      expect(service.status().threadCall, readFileSync(join(dirname(config.storage.journalPath), 'thread-call-marks.json'), 'utf8')).toEqual({ waiting: 0, marks: 3 });
      expectKeptExactly(config.storage.root, pbx.calls);
      const journal = (await readJournal(config.storage.journalPath)).items;
      for (const [i, call] of pbx.calls.entries()) {
        const item = journal.get(`${call.confId}.pcap`)!;
        expect(item.state, `${CALLS[i]!.why}: ${JSON.stringify(item.data.reason ?? item.data)}`.slice(0, 600)).toBe(CALLS[i]!.kept ? 'source-deleted' : 'discarded');
      }
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });

  it('keeps the same calls when the recorder is killed with SIGKILL during the window and started again', { timeout: 150_000 }, async () => {
    const { base, pbx, endpoints } = await startPbx('service-tcr-kill-');
    const cdrPort = await freePort();
    pbx.addCdrInterface(cdrInterfaceOnPort(cdrPort));
    const input = tcrConfig(base, endpoints, cdrPort);
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    const config = validateConfig(input, configPath, base);
    const recorder = new RecorderProcess(configPath, join(base, 'logs'));
    const waiting = async (): Promise<number> => [...(await readJournal(config.storage.journalPath)).items.values()].filter((item) => item.state === 'correlated').length;

    recorder.start();
    const run = pbx.run();
    try {
      // Killed while calls wait for their marks; down for 3 s, so marks are made while it is away.
      await until(async () => (await waiting()) >= 1, 90_000, 'a call waiting for its mark', 100);
      await recorder.kill('SIGKILL');
      await new Promise((done) => setTimeout(done, 3000));
      recorder.start();
      const result = await run;
      expect(result.failures).toEqual([]);
      await until(
        async () => {
          if (readdirSync(endpoints.recDir).length > 0) return false;
          const items = [...(await readJournal(config.storage.journalPath)).items.values()];
          return items.filter((item) => item.key.endsWith('.pcap')).length >= CALLS.length && items.every((item) => FINISHED.includes(item.state));
        },
        90_000,
        'every capture decided',
        200,
      );
      await recorder.kill('SIGTERM');
      const logs = readdirSync(join(base, 'logs')).map((f) => readFileSync(join(base, 'logs', f), 'utf8').split('\n').filter((l) => /thread-call|mark|discard/i.test(l)).map((l) => `${f}: ${l.slice(0, 300)}`).join('\n'));
      if (process.env.TCR_DEBUG) console.log(logs.join('\n'), readFileSync(join(dirname(config.storage.journalPath), 'thread-call-marks.json'), 'utf8'));
      expectKeptExactly(config.storage.root, pbx.calls);
      // Completeness across the kill: each marked call recorded, each other one not recorded for want of a mark; the
      // calls to the TCR object are marks, not calls.
      const day = new Date().toISOString().slice(0, 10);
      const reconciled = await runInProcess(['reconcile', '-c', configPath, '--from', day, '--to', day, '--settle-minutes', '0', '--json']);
      const report = JSON.parse(reconciled.stdout) as ReconcileReport;
      expect(Object.fromEntries(report.calls.map((call) => [call.conf, `${call.verdict}${call.cause ? ` (${call.cause})` : ''}`]))).toEqual(
        Object.fromEntries(pbx.calls.map((call, i) => [call.confId, CALLS[i]!.kept ? 'recorded' : 'not-recorded (tcr-unmarked)'])),
      );
      expect(reconciled.code).toBe(0);
    } finally {
      await recorder.kill('SIGKILL');
      await run.catch(() => undefined);
      await pbx.stop();
    }
  });
});
