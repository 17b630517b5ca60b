// Stopping the service (SIGTERM, Ctrl-C, the demo's stop) while captures wait out the drive's grace period before
// their deletion: the stop returns at once, the captures stay on the drive, and the next start deletes them without
// filing anything twice. (A stop used to wait for a deletion no poll would make any more.)
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { validateConfig } from '../../src/platform/config/index.js';
import { RecorderService, readJournal } from '../../src/recorder/service/index.js';
import { connectCdrInterface, scanStore, serviceConfigInput, until } from './helpers/service-harness.js';

const E = '0070317300912';
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('stopping the service while captures wait for their deletion', () => {
  it('returns, leaves them on the drive, and the next start deletes them without filing twice', { timeout: 120_000 }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-stop-'));
    dirs.push(base);
    const calls = ['20', '21', '22'].map((to, i) => ({ at: 1 + i * 5, kind: 'inbound' as const, from: E, to, ringSeconds: 1, talkSeconds: 4 }));
    const pbx = new EmbeddedPbx({ scenario: { seed: 21, calls }, directory: defaultDirectory(), driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const input = serviceConfigInput(base, endpoints, { cdrInterface: true });
    // A long grace: the deletions are still waiting when the service stops.
    const config = validateConfig({ ...input, drive: { ...input.drive, graceSeconds: 600 } }, 'e2e-config', base);
    const options = { logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, endedSettleMs: 150, settleMs: 600 };
    const first = new RecorderService({ config, ...options });
    await first.start();
    connectCdrInterface(pbx, first);
    try {
      expect((await pbx.run()).failures).toEqual([]);
      const states = async (): Promise<string[]> => [...(await readJournal(config.storage.journalPath)).items.values()].map((item) => item.state);
      await until(async () => (await states()).filter((state) => state === 'filed').length === 3, 60_000, 'three captures filed, waiting for their deletion');
      await first.stop();
      expect(readdirSync(endpoints.recDir)).toHaveLength(3);
      expect(await states()).toEqual(['filed', 'filed', 'filed']);

      const second = new RecorderService({ config: validateConfig(input, 'e2e-config', base), ...options });
      await second.start();
      try {
        await until(() => readdirSync(endpoints.recDir).length === 0, 30_000, 'the captures deleted by the next start');
        await until(async () => (await states()).every((state) => state === 'source-deleted'), 30_000, 'the journal finished');
      } finally {
        await second.stop();
      }
      const store = scanStore(config.storage.root);
      expect(store.audio.size).toBe(3);
      for (const files of store.audio.values()) expect(files).toHaveLength(1);
    } finally {
      await pbx.stop();
    }
  });
});
