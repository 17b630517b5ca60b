import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/platform/config/index.js';
import { EmbeddedPbx, cdrsFor, defaultDirectory, partyToneHz, randomScenario } from '../../src/embedded/index.js';
import { toneLevel } from '../helpers/levels.js';
import type { PlannedCall } from '../../src/embedded/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import type { FiledEvent } from '../../src/recorder/service/index.js';
import { parseRecordingName } from '../../src/recordings/index.js';
import { readWav } from '../embedded/captures/fixtures.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('recorder run against recorder pbx', () => {
  it('records a seeded run of random calls: exactly the expected recordings, named right, parties on the right channels, the drive emptied', async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-e2e-'));
    dirs.push(base);
    const directory = defaultDirectory();
    const pbx = new EmbeddedPbx({ scenario: randomScenario(directory, { calls: 12, seed: 7, meanGapSeconds: 4 }), directory, driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = validateConfig(
      {
        pbx: { url: endpoints.soapUrl, username: endpoints.username, password: endpoints.password },
        reporting: { url: endpoints.reportingUrl, username: endpoints.username, password: endpoints.password, firstRetrySeconds: [1, 1] },
        drive: { kind: 'webdav', url: endpoints.recUrl, username: endpoints.username, password: endpoints.password, pollSeconds: 1, graceSeconds: 0 },
        storage: { root: join(base, 'store'), timezone: 'utc' },
        recording: { format: 'wav', encoding: 'pcm16' },
        // Phones record too: their captures are decided from the CDR-XML the PBX posts (it names the device).
        cdrInterface: { port: 0, username: 'pbx-cdr', password: 'cdr-password-e2e' },
      },
      'test-config',
      base,
    );
    const filed: FiledEvent[] = [];
    const service = new RecorderService({ config, logger: pino({ level: process.env.SERVICE_LOG ? 'debug' : 'silent' }, process.env.SERVICE_LOG ? pino.destination({ dest: process.env.SERVICE_LOG, sync: true }) : undefined), pollMs: 200, longRetryMs: 500, onFiled: (event) => filed.push(event) });
    await service.start();
    pbx.addCdrInterface({ url: service.cdrInterfaceUrl!, username: 'pbx-cdr', password: 'cdr-password-e2e' });
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      const captures = pbx.calls.flatMap((call) => call.captures.map((capture) => ({ call, capture })));
      // The reference's rules are for gateway captures; a phone's own capture belongs to the phone's user when that user is an Agent.
      const agents = new Set(directory.users.filter((u) => u.recordingGroup && u.reporting).map((u) => u.number));
      const expectedAgent = (call: PlannedCall, capture: PlannedCall['captures'][number]): string | null =>
        capture.side === 'phone' ? (agents.has(capture.segments[0]!.internal.number) ? capture.segments[0]!.internal.number : null) : call.expected.agent;
      const expectedFiled = captures.filter(({ call, capture }) => expectedAgent(call, capture) !== null);
      // A call without any licensed user has no CDR: after the last trial its capture is kept in quarantine, listed.
      const withoutCdr = captures.filter(({ call }) => cdrsFor(call, directory).length === 0);
      await until(async () => readdirSync(endpoints.recDir).length === 0 && service.status().pending === 0, 40_000, 'every capture processed').catch((error) => { console.log(JSON.stringify(service.status()), readdirSync(endpoints.recDir)); throw error; });

      const status = service.status();
      expect(status.counters.quarantined).toBe(withoutCdr.length);
      if (status.counters.filed !== expectedFiled.length) {
        for (const event of filed) {
          const planned = captures.find((c) => c.capture.fileName === event.capture);
          console.log(event.capture, event.decision.agent, event.decision.rule, '| planned', JSON.stringify(planned?.call.expected), planned?.call.scenario.kind, planned?.capture.side);
        }
      }
      expect(status.counters.filed).toBe(expectedFiled.length);
      expect(status.counters.discarded).toBe(captures.length - expectedFiled.length - withoutCdr.length);
      const quarantined = await service.recordings!.listQuarantine();
      expect(quarantined.map((entry) => entry.reason)).toEqual(withoutCdr.map(() => expect.stringMatching(/no call record/)));
      expect(status.lamps).toMatchObject({ PBX: 'green', REP: 'green', PCAP: 'green', DISK: 'green', SOFTWARE: 'green' });

      const byCapture = new Map(filed.map((event) => [event.capture, event]));
      for (const { call, capture } of expectedFiled) {
        const event = byCapture.get(capture.fileName);
        expect(event, `${call.scenario.kind} ${capture.fileName}`).toBeDefined();
        const name = parseRecordingName(`${event!.recording.name}.wav`);
        expect(name.internal, call.scenario.kind).toBe(expectedAgent(call, capture));
        expect(name.external, call.scenario.kind).toBe(call.expected.external);
        if (call.direction !== 'internal') expect(name.direction, `${call.scenario.kind} ${capture.fileName}`).toBe(call.direction === 'outbound' ? 'out' : 'in');
        if ((call.scenario.kind === 'inbound' || call.scenario.kind === 'outbound') && capture.side === 'gateway') checkChannels(call, event!.recording.audioPath, capture.segments[0]!);
      }
      const rows = service.recordings!.search({ limit: 1000 });
      expect(rows.total).toBe(expectedFiled.length);
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });
});

/** The external party's tone is on the left, the internal party's on the right, each clearly louder than the other's. */
function checkChannels(call: PlannedCall, audioPath: string, segment: PlannedCall['captures'][number]['segments'][number]): void {
  if (call.scenario.codec === 'g729') return; // G.729 legs replay tone fixtures of nearby frequencies
  const wav = readWav(audioPath);
  const externalHz = partyToneHz(segment.external);
  const internalHz = partyToneHz(segment.internal);
  const [left, right] = wav.channels as [Int16Array, Int16Array];
  expect(toneLevel(left, wav.sampleRate, externalHz) - toneLevel(left, wav.sampleRate, internalHz), `left ${call.confId}`).toBeGreaterThan(20);
  expect(toneLevel(right, wav.sampleRate, internalHz) - toneLevel(right, wav.sampleRate, externalHz), `right ${call.confId}`).toBeGreaterThan(20);
}
