import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MasterAlarm } from '../../../src/recorder/service/index.js';
import { StateFileError } from '../../../src/platform/util/index.js';
import type { AlarmEvent, Lamps } from '../../../src/recorder/service/index.js';

const GREEN: Lamps = { PBX: 'green', REP: 'green', PCAP: 'green', DISK: 'green', BACKUP: 'grey', SOFTWARE: 'green' };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function alarmAt(file?: string): Promise<{ alarm: MasterAlarm; events: AlarmEvent[]; clock: { t: number }; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'master-alarm-'));
  dirs.push(dir);
  const path = file ?? join(dir, 'master-alarm.json');
  const clock = { t: 1_000_000 };
  const events: AlarmEvent[] = [];
  const alarm = await MasterAlarm.open({ file: path, graceMs: 20_000, now: () => clock.t, onEvent: (event) => events.push(event) });
  return { alarm, events, clock, file: path };
}

describe('MasterAlarm', () => {
  it('is not armed during the start-up grace; a lamp still red after it triggers it', async () => {
    const { alarm, clock } = await alarmAt();
    alarm.observe({ ...GREEN, PBX: 'red' }, { PBX: 'connection refused' });
    alarm.observe({ ...GREEN, PBX: 'red', REP: 'red' }, { PBX: 'connection refused' });
    expect(alarm.status().state).toBe('starting');
    clock.t += 19_000;
    alarm.observe({ ...GREEN, PBX: 'green' });
    expect(alarm.status().state).toBe('starting');
    clock.t += 2_000;
    alarm.observe({ ...GREEN }); // all green at the end of the grace: armed
    expect(alarm.status().state).toBe('armed');
    const { alarm: second, clock: clock2 } = await alarmAt();
    second.observe({ ...GREEN, DISK: 'red' }, { DISK: 'storage full' });
    clock2.t += 20_000;
    second.observe({ ...GREEN, DISK: 'red' }, { DISK: 'storage full' });
    expect(second.status()).toMatchObject({ state: 'triggered', triggeredBy: { subject: 'DISK', reason: 'storage full' } });
  });

  it('latches: lamps heal by themselves, the master alarm stays until RESET; RESET re-arms it, a red lamp triggers it again', async () => {
    const { alarm, events, clock } = await alarmAt();
    alarm.observe(GREEN);
    clock.t += 20_000;
    alarm.observe(GREEN);
    alarm.observe({ ...GREEN, REP: 'red' }, { REP: 'HTTP 503' });
    expect(alarm.status()).toMatchObject({ state: 'triggered', triggeredBy: { subject: 'REP', from: 'green', to: 'red', reason: 'HTTP 503' } });
    alarm.observe(GREEN);
    expect(alarm.status().state).toBe('triggered');
    alarm.command('reset', 'cli (sue)');
    expect(alarm.status().state).toBe('armed');
    alarm.observe({ ...GREEN, SOFTWARE: 'red' }, { SOFTWARE: 'boom' });
    expect(alarm.status()).toMatchObject({ state: 'triggered', triggeredBy: { subject: 'SOFTWARE' } });
    // RESET with a lamp still red: armed, and at once triggered again (the error is still there).
    alarm.command('reset', 'player:sue');
    expect(alarm.status().state).toBe('triggered');
    expect(events.map((e) => `${e.kind}:${e.subject}:${e.from}->${e.to}`)).toEqual([
      'lamp:REP:green->red',
      'master:triggered:armed->triggered',
      'lamp:REP:red->green',
      'master:armed:triggered->armed',
      'lamp:SOFTWARE:green->red',
      'master:triggered:armed->triggered',
      'master:armed:triggered->armed',
      'master:triggered:armed->triggered',
    ]);
    expect(events[3]!.reason).toBe('RESET by cli (sue)');
  });

  it('OFF silences it (lamps still change, nothing triggers) until ON or RESET; the state survives a restart', async () => {
    const { alarm, events, clock, file } = await alarmAt();
    alarm.observe(GREEN);
    clock.t += 20_000;
    alarm.observe(GREEN);
    alarm.command('off', 'cli');
    alarm.observe({ ...GREEN, PCAP: 'red' });
    expect(alarm.status().state).toBe('off');
    expect(events.at(-1)).toMatchObject({ kind: 'lamp', subject: 'PCAP', to: 'red' });
    alarm.command('on', 'cli');
    expect(alarm.status()).toMatchObject({ state: 'triggered', triggeredBy: { subject: 'PCAP' } });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ state: 'triggered' });
    // A restart: after its grace the alarm is still latched, with its history.
    const { alarm: again, clock: clock2 } = await alarmAt(file);
    again.observe(GREEN);
    clock2.t += 20_000;
    again.observe(GREEN);
    expect(again.status()).toMatchObject({ state: 'triggered', triggeredBy: { subject: 'PCAP' } });
    expect(again.status().history.length).toBeGreaterThan(3);
  });

  it('refuses a damaged state file by name instead of starting armed as if nothing had happened', async () => {
    const { file } = await alarmAt();
    writeFileSync(file, '{"state": "triggered", "hist');
    await expect(MasterAlarm.open({ file, graceMs: 0, onEvent: () => undefined })).rejects.toThrow(`${file}: the master alarm state are not JSON`);
    writeFileSync(file, '{"state": "panicking"}');
    await expect(MasterAlarm.open({ file, graceMs: 0, onEvent: () => undefined })).rejects.toThrow(StateFileError);
  });
});
