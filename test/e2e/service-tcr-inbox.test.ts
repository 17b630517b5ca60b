// A mark whose CDR the recorder accepted just before it stopped: the CDR interface answers 200 once the CDR is on
// disk, so the PBX does not post it again, and the recorder must find the mark in its inbox when it starts. Here the
// PBX posts every record to a CDR interface on the recorder's inbox folder while no service runs (as if it was
// killed between storing the marking call's CDR and reading it), then the service starts on that folder.
import { readdirSync, renameSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import type { ScenarioCall } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import { CdrInterface } from '../../src/recorder/service/cdr-interface.js';
import { CDR_INTERFACE_PASSWORD, CDR_INTERFACE_USER, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('thread-call recording: marks in CDRs accepted before a restart', () => {
  /** The embedded PBX with `calls`, posting its records to a CDR interface on the inbox of a recorder not started yet. */
  async function recordsWhileDown(prefix: string, calls: ScenarioCall[], windowSeconds: number) {
    const base = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(base);
    const pbx = new EmbeddedPbx({ scenario: { seed: 7, calls }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = validateConfig(
      {
        ...serviceConfigInput(base, endpoints, { cdrInterface: true }),
        recording: { format: 'wav', encoding: 'pcm16', mode: 'tcr' },
        tcr: { number: endpoints.tcrNumber!, markWindowSeconds: windowSeconds },
      },
      'e2e-config',
      base,
    );
    const inbox = new CdrInterface({ host: '127.0.0.1', port: 0, path: '/cdr', username: CDR_INTERFACE_USER, password: CDR_INTERFACE_PASSWORD, inboxDir: join(config.storage.workDir, 'cdr-inbox') });
    pbx.addCdrInterface({ url: await inbox.listen(), username: CDR_INTERFACE_USER, password: CDR_INTERFACE_PASSWORD });
    try {
      const result = await pbx.run();
      expect(result.failures).toEqual([]);
      // Each call posts one record per leg; the marking call is a call of its own.
      await until(() => readdirSync(join(config.storage.workDir, 'cdr-inbox')).filter((name) => !name.startsWith('.')).length >= calls.length + 1, 20_000, 'the records of every call posted');
    } finally {
      await inbox.close();
    }
    const start = async (): Promise<RecorderService> => {
      const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 });
      await service.start();
      return service;
    };
    return { pbx, endpoints, config, start };
  }

  it('a marking call stored in the inbox but never read keeps the call once the service starts', { timeout: 90_000 }, async () => {
    const { pbx, config, start } = await recordsWhileDown('service-tcr-inbox-', [{ kind: 'inbound', from: E, to: '21', at: 1, ringSeconds: 1, talkSeconds: 4, tcr: 'after', tcrAfterSeconds: 3 }], 60);
    const call = pbx.calls[0]!.confId;
    let service: RecorderService | undefined;
    try {
      service = await start();
      expect(service.status().threadCall?.marks).toBe(1);
      await until(() => scanStore(config.storage.root).audio.has(call), 30_000, 'the marked call filed');
      expect([...scanStore(config.storage.root).audio.keys()]).toEqual([call]);
    } finally {
      await service?.stop();
      await pbx.stop();
    }
  });

  it('a mark by time keeps the last call even when the capture of that call is not there yet', { timeout: 90_000 }, async () => {
    const calls: ScenarioCall[] = [
      // Ends at 6 (PBX seconds); the last call ends at 10 and is marked at 11: both within the 6 s window.
      { kind: 'inbound', from: E, to: '24', at: 1, ringSeconds: 1, talkSeconds: 4 },
      { kind: 'outbound', from: '24', to: E, at: 7, ringSeconds: 1, talkSeconds: 2, tcr: 'after', tcrAfterSeconds: 1 },
    ];
    const { pbx, endpoints, config, start } = await recordsWhileDown('service-tcr-later-', calls, 6);
    const [earlier, last] = pbx.calls.map((call) => call.confId) as [string, string];
    // The last call's capture is late (a gateway still writing it): only the earlier call can be decided now.
    const lateCapture = join(endpoints.recDir, `${last}.pcap`);
    const held = `${lateCapture}.held`;
    renameSync(lateCapture, held);
    let service: RecorderService | undefined;
    try {
      service = await start();
      await until(async () => (await readJournal(config.storage.journalPath)).items.get(`${earlier}.pcap`)?.state === 'discarded', 30_000, 'the earlier call discarded');
      const item = (await readJournal(config.storage.journalPath)).items.get(`${earlier}.pcap`)!;
      expect(String(item.data.reason)).toMatch(/not marked/);
      renameSync(held, lateCapture);
      await until(() => scanStore(config.storage.root).audio.has(last), 30_000, 'the last call filed');
      expect([...scanStore(config.storage.root).audio.keys()]).toEqual([last]);
    } finally {
      await service?.stop();
      await pbx.stop();
    }
  });
});
