// A call on hold writes nothing to its capture (the gateway records the outside leg; on hold no media flows), so
// its file stops growing for as long as the hold lasts. The recorder must not take that file as complete while the
// PBX reports the call still going: it would file the part before the hold and delete the rest from the drive.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import type { FiledEvent } from '../../src/recorder/service/index.js';
import type { FiledRecording } from '../../src/recordings/index.js';
import { serviceConfig, until } from './helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const HOLD_CALL = { at: 1, kind: 'consult' as const, from: '20', to: '0070317300912', via: '30', ringSeconds: 1, talkSeconds: 4, secondTalkSeconds: 12 };

describe('a capture that pauses while its call is on hold', () => {
  it('is taken only after the call ends, and the recording holds both sides of the hold', async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-hold-'));
    dirs.push(base);
    const directory = defaultDirectory();
    // Agent 20 calls outside, holds, consults User 30 for 12 s, and goes back: the capture pauses ≥ 6 s real at 2x.
    const scenario = { seed: 3, calls: [HOLD_CALL] };
    const pbx = new EmbeddedPbx({ scenario, directory, driveRoot: join(base, 'drive'), speed: 2, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const filed: FiledEvent[] = [];
    // The reference's 2 s settle time (no SOAP call end seen): far shorter than the hold.
    const service = new RecorderService({ config: serviceConfig(base, endpoints), logger: pino({ level: 'silent' }), pollMs: 200, settleMs: 2000, endedSettleMs: 150, onFiled: (event) => filed.push(event) });
    await service.start();
    try {
      await until(() => service.status().lamps.PBX === 'green', 15_000, 'the PBX link');
      const call = pbx.calls[0]!;
      expect(call.expected.agent).toBe('20');
      const capture = call.captures.find((c) => c.side === 'gateway')!;
      expect(capture.segments.length).toBe(2); // before and after the hold
      expect((capture.segments[1]!.from - capture.segments[0]!.to) / 2).toBeGreaterThan(4000); // real ms of silence on the drive
      expect((await pbx.run()).failures).toEqual([]);
      await until(() => filed.length === 1 && service.status().pending === 0, 20_000, 'the recording filed');
      const durationMs = (filed[0]!.recording as FiledRecording).sidecar?.audio.durationMs;
      const spanMs = capture.segments[1]!.to - capture.segments[0]!.from;
      expect(durationMs).toBeDefined();
      expect(durationMs!).toBeGreaterThan(spanMs - 1000);
      expect(service.status().counters).toMatchObject({ captured: 1, filed: 1, quarantined: 0 });
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });

  it('is not taken during the hold when the recorder restarted during it (the new SOAP session asks for the calls going on)', async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-hold-restart-'));
    dirs.push(base);
    const pbx = new EmbeddedPbx({ scenario: { seed: 4, calls: [HOLD_CALL] }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 2, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = serviceConfig(base, endpoints);
    const filed: FiledEvent[] = [];
    const options = { config, logger: pino({ level: 'silent' }), pollMs: 200, settleMs: 2000, endedSettleMs: 150, onFiled: (event: FiledEvent) => filed.push(event) };
    let service = new RecorderService(options);
    await service.start();
    try {
      await until(() => service.status().lamps.PBX === 'green', 15_000, 'the PBX link');
      const call = pbx.calls[0]!;
      const capture = call.captures.find((c) => c.side === 'gateway')!;
      const run = pbx.run();
      // Restart the recorder during the hold, after the consultation is connected: the new SOAP session gets no
      // record of the call until it changes again, and its capture has stopped growing.
      const holdStart = capture.segments[0]!.to;
      const holdEnd = capture.segments[1]!.from;
      const lastNews = Math.max(...call.events.filter((e) => e.type === 'connect' && e.at >= holdStart && e.at < holdEnd).map((e) => e.at));
      await until(() => pbx.clock.now() >= call.setupTime + lastNews + 300, 15_000, 'the consultation connected');
      await service.stop();
      service = new RecorderService(options);
      await service.start();
      await until(() => service.status().lamps.PBX === 'green', 15_000, 'the PBX link again');
      // Still on hold, with enough of it left for the 2 s settle time to run out.
      expect(call.setupTime + capture.segments[1]!.from - pbx.clock.now()).toBeGreaterThan(2 * 3000);
      expect((await run).failures).toEqual([]);
      await until(() => filed.length === 1 && service.status().pending === 0, 20_000, 'the recording filed');
      const durationMs = (filed[0]!.recording as FiledRecording).sidecar?.audio.durationMs;
      expect(durationMs!).toBeGreaterThan(capture.segments[1]!.to - capture.segments[0]!.from - 1000);
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });
});
