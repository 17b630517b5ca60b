// The master alarm end to end: `RecorderService` against the embedded PBX with faults switched on and off, an SMTP
// server on loopback receiving the mails, the status endpoint (/status, /metrics) and `recorder status` / `recorder
// alarm` reading and steering it from outside. Each lamp going red is mailed (PBX, PCAP, BACKUP, REP), its
// recovery too; the master alarm latches until RESET, OFF silences it.
import { mkdtemp, rm } from 'node:fs/promises';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { startSmtp } from '../helpers/smtp.js';
import { serviceConfigInput, setFaults, until } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('master alarm, mail and status through recorder run', () => {
  it('mails each lamp going red and back, latches until RESET, stays quiet under OFF; status and metrics say so', { timeout: 150_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-alarm-'));
    dirs.push(base);
    const smtp = await startSmtp();
    // The second call's CDR never comes while the reporting is down (no CDR interface here): REP goes red.
    const calls = [
      { at: 1, kind: 'inbound' as const, from: E, to: '20', ringSeconds: 1, talkSeconds: 4 },
      { at: 200, kind: 'inbound' as const, from: E, to: '21', ringSeconds: 1, talkSeconds: 4 },
    ];
    const pbx = new EmbeddedPbx({ scenario: { seed: 17, calls }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 10, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    // The backup folder is there at the start; later it is replaced by a file (a share gone wrong): copies fail.
    const backup = join(base, 'backup');
    mkdirSync(backup);
    const input = {
      ...serviceConfigInput(base, endpoints, { firstRetrySeconds: [1, 1], trials: 50 }),
      storage: { root: join(base, 'store'), timezone: 'utc', backup, minFreeMegabytes: 0 },
      alarm: { graceSeconds: 2, mail: { host: '127.0.0.1', port: smtp.port, from: 'recorder@example.test', to: ['admin@example.test'], subjectPrefix: 'Recorder test', minIntervalSeconds: 0 } },
      status: { port: 0 },
      log: { level: 'warn' },
    };
    const configPath = join(base, 'recorder.json');
    writeFileSync(configPath, JSON.stringify(input));
    const config = validateConfig(input, configPath, base);
    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600, alarmGraceMs: 2000, statusIntervalMs: 200 });
    const mailed = (text: string): boolean => smtp.mails.some((m) => m.subject.includes(text));
    const waitMail = (text: string): Promise<void> => until(() => mailed(text), 30_000, `a mail "${text}" (got: ${smtp.mails.map((m) => m.subject).join(' | ')})`);
    await service.start();
    try {
      await until(() => service.status().lamps.PBX === 'green' && service.status().master?.state === 'armed', 20_000, 'PBX green, the alarm armed');
      const metrics = async (): Promise<string> => (await fetch(`${service.statusUrl!}/metrics`)).text();

      // PBX red: the master alarm triggers and is mailed; status and metrics show it; `recorder status` exits 2.
      await setFaults(endpoints, { soapDown: true });
      await waitMail('MASTER ALARM - PBX red');
      await until(async () => (await metrics()).includes('recorder_lamp_red{lamp="PBX"} 1'), 10_000, 'the metric');
      expect(await metrics()).toContain('recorder_master_alarm{state="triggered"} 1');
      const status = (await (await fetch(`${service.statusUrl!}/status`)).json()) as { lamps: Record<string, string>; master: { state: string } };
      expect(status).toMatchObject({ lamps: { PBX: 'red', BACKUP: 'green' }, master: { state: 'triggered' } });
      const cli = await runInProcess(['status', '-c', configPath]);
      expect(cli.code, cli.stderr).toBe(2);
      expect(cli.stdout).toMatch(/Master alarm {2}TRIGGERED since .*: PBX red/);
      expect(cli.stdout).toMatch(/PBX {7}red {2}\S/);

      // Back: PBX green (mailed), the alarm still latched (exit 1) until RESET.
      await setFaults(endpoints, { soapDown: false });
      await waitMail('PBX green again');
      await until(async () => (await runInProcess(['status', '-c', configPath])).code === 1, 10_000, 'status: latched');
      const reset = await runInProcess(['alarm', 'reset', '-c', configPath]);
      expect(reset.stdout).toContain('master alarm RESET: now ARMED');
      await waitMail('master alarm armed');
      expect((await runInProcess(['status', '-c', configPath])).code).toBe(0);

      // PCAP: the drive down and back.
      await setFaults(endpoints, { webdavDown: true });
      await waitMail('MASTER ALARM - PCAP red');
      await setFaults(endpoints, { webdavDown: false });
      await waitMail('PCAP green again');
      expect((await runInProcess(['alarm', 'reset', '-c', configPath])).code).toBe(0);
      await until(() => service.status().master?.state === 'armed', 10_000, 'armed again');

      // OFF: the next red lamps are not mailed (the OFF is). Then the calls: BACKUP red (copy fails), REP red.
      expect((await runInProcess(['alarm', 'off', '-c', configPath])).stdout).toContain('now OFF');
      await waitMail('master alarm off');
      rmSync(backup, { recursive: true, force: true });
      writeFileSync(backup, 'not a folder any more');
      const run = pbx.run();
      await until(() => service.status().lamps.BACKUP === 'red', 60_000, 'BACKUP red after the first call was filed');
      const before = smtp.mails.length;
      await setFaults(endpoints, { reportingDown: true });
      await until(() => service.status().lamps.REP === 'red', 60_000, 'REP red for the second call');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(smtp.mails.slice(before).map((m) => m.subject)).toEqual([]);
      // ON: armed, and at once triggered by the lamps still red; mailed.
      expect((await runInProcess(['alarm', 'on', '-c', configPath])).code).toBe(0);
      // The first red lamp in the panel's order (REP before BACKUP) names the alarm; the mail lists both.
      await waitMail('MASTER ALARM - REP red');
      const mail = smtp.mails.find((m) => m.subject.includes('MASTER ALARM - REP red'))!;
      expect(mail.text).toMatch(/BACKUP {3}red - 1 waiting; last: \S+: ENOTDIR/);
      expect(mail.text).toMatch(/REP {6}red - /);
      await setFaults(endpoints, { reportingDown: false });
      await waitMail('REP green again');
      expect((await run).failures).toEqual([]);
    } finally {
      await service.stop();
      await pbx.stop();
      await smtp.close();
    }
    // Stopped: `recorder status` says so once the status is stale; here at least it still reads the last one.
    const json = await runInProcess(['status', '-c', configPath, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: 1, lamps: { BACKUP: 'red' } });
  });
});
