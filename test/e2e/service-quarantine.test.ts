import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/platform/config/index.js';
import { EmbeddedPbx, defaultDirectory } from '../../src/embedded/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import { Journal } from '../../src/recorder/service/index.js';
import { until } from './helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('quarantine never deletes the only copy of a capture', () => {
  it('a capture whose working copy is gone is quarantined but left on the drive, and the journal says so', async () => {
    const base = await mkdtemp(join(tmpdir(), 'service-quarantine-'));
    dirs.push(base);
    const directory = defaultDirectory();
    const pbx = new EmbeddedPbx({ scenario: { seed: 1, calls: [] }, directory, driveRoot: join(base, 'pbx-drive'), speed: 20 });
    const endpoints = await pbx.start();
    const driveDir = join(base, 'drive');
    await mkdir(driveDir, { recursive: true });
    const config = validateConfig(
      {
        pbx: { url: endpoints.soapUrl, username: endpoints.username, password: endpoints.password },
        reporting: { url: endpoints.reportingUrl, username: endpoints.username, password: endpoints.password, firstRetrySeconds: [1, 1] },
        drive: { kind: 'local', path: driveDir, pollSeconds: 1, graceSeconds: 0 },
        storage: { root: join(base, 'store'), timezone: 'utc' },
      },
      'test-config',
      base,
    );
    // A crash left the journal saying the capture was copied, but its working copy is lost; the drive still has it.
    const name = 'not-a-call-capture.pcap';
    await writeFile(join(driveDir, name), Buffer.from('the only copy left'));
    await mkdir(dirname(config.storage.journalPath), { recursive: true });
    const journal = await Journal.open(config.storage.journalPath);
    await journal.record(name, 'discovered', {});
    await journal.record(name, 'copied', { path: join(config.storage.workDir, 'captures', name), bytes: 18 });
    await journal.close();

    const service = new RecorderService({ config, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 500 });
    await service.start();
    try {
      await until(() => service.status().counters.quarantined === 1, 10_000, 'the capture quarantined');
      // Give the ingestor a few polls in which it could (wrongly) delete the file.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(existsSync(join(driveDir, name))).toBe(true);
      expect(service.status().pending).toBe(0);
    } finally {
      await service.stop();
      await pbx.stop();
    }
    const after = await Journal.open(config.storage.journalPath);
    try {
      expect(after.get(name)).toMatchObject({ state: 'quarantined', data: { leftOnDrive: true } });
    } finally {
      await after.close();
    }
  }, 30_000);
});
