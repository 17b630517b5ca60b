// Alarm mail through a real SMTP server on loopback (smtp-server): what is mailed, when (one mail per interval,
// the rest together), with what subject and body, with authentication; a refusal is tried again.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmMailer } from '../../../src/recorder/service/index.js';
import type { AlarmEvent, AlarmMailSettings, MasterAlarmStatus, StatusSnapshot } from '../../../src/recorder/service/index.js';
import { until } from '../../e2e/helpers/service-harness.js';
import { startSmtp } from '../../helpers/smtp.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function settings(port: number, extra: Partial<AlarmMailSettings> = {}): AlarmMailSettings {
  return { host: '127.0.0.1', port, secure: false, requireTls: false, from: 'recorder@example.test', to: ['admin@example.test', 'ops@example.test'], subjectPrefix: 'Recorder site-A', minIntervalSeconds: 0, mailRecovery: true, ...extra };
}

const armed: MasterAlarmStatus = { state: 'armed', since: '2026-12-04T09:00:00.000Z', history: [] };
const triggered: MasterAlarmStatus = { state: 'triggered', since: '2026-12-04T09:00:01.000Z', history: [] };

function snapshot(red: Partial<Record<'PBX' | 'REP', string>> = {}): () => StatusSnapshot {
  return () => ({
    version: 1,
    at: '2026-12-04T09:00:02.000Z',
    pid: 4242,
    host: 'recorder-1',
    startedAt: '2026-12-04T08:00:00.000Z',
    lamps: { PBX: red.PBX ? 'red' : 'green', REP: red.REP ? 'red' : 'green', PCAP: 'green', DISK: 'green', BACKUP: 'grey', SOFTWARE: 'green' },
    reasons: red,
    master: triggered,
    channelsInRecording: 3,
    capturesWaiting: 1,
    recentErrors: [],
    disk: { path: '/srv/recordings', freeBytes: 12e9, totalBytes: 100e9 },
    counters: { captured: 10, filed: 9, discarded: 1, quarantined: 0, callEndsWithoutCapture: 0, decidedFromCdrInterface: 10, decidedFromReporting: 0 },
  });
}

const event = (kind: AlarmEvent['kind'], subject: string, from: string, to: string, reason?: string): AlarmEvent => ({ at: new Date().toISOString(), kind, subject, from, to, ...(reason ? { reason } : {}) });

describe('AlarmMailer', () => {
  it('mails the master alarm with the lamps and what happened; authenticated; to every recipient', async () => {
    const smtp = await startSmtp({ user: 'recorder', password: 'mail-password-1' });
    closers.push(smtp.close);
    const mailer = new AlarmMailer({ settings: settings(smtp.port, { username: 'recorder', password: 'mail-password-1' }), log: pino({ level: 'silent' }) });
    closers.push(() => mailer.close());
    mailer.notify(event('lamp', 'PBX', 'green', 'red', 'connect ECONNREFUSED 127.0.0.1:5000'), armed, snapshot({ PBX: 'connect ECONNREFUSED 127.0.0.1:5000' }));
    mailer.notify(event('master', 'triggered', 'armed', 'triggered', 'PBX red: connect ECONNREFUSED 127.0.0.1:5000'), triggered, snapshot({ PBX: 'connect ECONNREFUSED 127.0.0.1:5000' }));
    await until(() => smtp.mails.length >= 1, 10_000, 'the alarm mail');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const mail = smtp.mails.find((m) => m.subject.includes('MASTER ALARM'))!;
    expect(mail.subject).toBe('Recorder site-A: MASTER ALARM - PBX red: connect ECONNREFUSED 127.0.0.1:5000');
    expect(mail.user).toBe('recorder');
    expect(mail.from).toBe('recorder@example.test');
    expect(mail.to).toEqual(['admin@example.test', 'ops@example.test']);
    expect(mail.text).toContain('PBX      red - connect ECONNREFUSED 127.0.0.1:5000');
    expect(mail.text).toContain('Master alarm: triggered since 2026-12-04T09:00:01.000Z');
    expect(mail.text).toContain('recorder alarm reset -c CONFIG');
    expect(mailer.sent).toBeGreaterThanOrEqual(1);
  });

  it('one mail per interval: what comes in between goes together; recovery mailed; nothing while OFF', async () => {
    const smtp = await startSmtp();
    closers.push(smtp.close);
    const mailer = new AlarmMailer({ settings: settings(smtp.port, { minIntervalSeconds: 2 }), log: pino({ level: 'silent' }) });
    closers.push(() => mailer.close());
    mailer.notify(event('lamp', 'REP', 'green', 'red', 'HTTP 503'), triggered, snapshot({ REP: 'HTTP 503' }));
    await until(() => smtp.mails.length === 1, 10_000, 'the first mail');
    expect(smtp.mails[0]!.subject).toBe('Recorder site-A: REP red');
    mailer.notify(event('lamp', 'REP', 'red', 'green'), triggered, snapshot());
    mailer.notify(event('lamp', 'PBX', 'green', 'red', 'timeout'), triggered, snapshot({ PBX: 'timeout' }));
    mailer.notify(event('master', 'armed', 'triggered', 'armed', 'RESET by cli'), armed, snapshot());
    // Silenced: a lamp change under OFF is not mailed (the OFF itself is).
    mailer.notify(event('master', 'off', 'armed', 'off', 'OFF by cli'), { ...armed, state: 'off' }, snapshot());
    mailer.notify(event('lamp', 'PCAP', 'green', 'red'), { ...armed, state: 'off' }, snapshot());
    await until(() => smtp.mails.length === 2, 10_000, 'the second mail, after the interval');
    const digest = smtp.mails[1]!;
    expect(digest.subject).toBe('Recorder site-A: PBX red');
    for (const line of ['REP red -> green', 'PBX green -> red - timeout', 'master alarm triggered -> armed - RESET by cli', 'master alarm armed -> off - OFF by cli']) expect(digest.text).toContain(line);
    expect(digest.text).not.toContain('PCAP green -> red');
  });

  it('a mail the server refuses is sent again with the next; test-mail reports a refusal', async () => {
    const smtp = await startSmtp();
    closers.push(smtp.close);
    smtp.refuse.next = 1;
    const mailer = new AlarmMailer({ settings: settings(smtp.port, { minIntervalSeconds: 1 }), log: pino({ level: 'silent' }) });
    closers.push(() => mailer.close());
    mailer.notify(event('lamp', 'DISK', 'green', 'red', 'storage full while filing: ENOSPC'), triggered, snapshot());
    await until(() => smtp.mails.length === 1, 15_000, 'the mail on the second try');
    expect(smtp.mails[0]!.subject).toBe('Recorder site-A: DISK red');
    smtp.refuse.next = 1;
    await expect(mailer.sendTest()).rejects.toThrow(/try again later/);
    expect(await mailer.sendTest()).toMatch(/250/);
    expect(smtp.mails.at(-1)!.subject).toBe('Recorder site-A: test mail');
  });
});
